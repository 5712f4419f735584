"""OSCAL outputs: assessment-results of real evaluations of the shipped example and
component-definitions of the control catalog, each read back by compliance-trestle's loader
and checked by `trestle validate` in a trestle workspace."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from helpers import run_gatecheck

trestle = pytest.importorskip("trestle", reason="compliance-trestle is in the test extra")

from trestle.oscal.assessment_results import AssessmentResults  # noqa: E402
from trestle.oscal.component import ComponentDefinition  # noqa: E402

from gatecheck.engine.formats import render  # noqa: E402
from gatecheck.engine.formats._common import authenticity_summary  # noqa: E402
from gatecheck.engine.formats._oscal import PROP_NS, oscal_control_id, stable_uuid  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AT = "2026-11-27T10:00:00Z"
CONFIG = ["--config", str(EXAMPLES / "gatecheck.yaml"), "--at", AT]
STATE = {"pass": "satisfied", "fail": "not-satisfied", "waived": "not-satisfied"}
# Blocks `import trestle` as an environment without the oscal extra would.
NO_TRESTLE = """
import runpy, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "trestle" or name.startswith("trestle."):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
sys.argv = ["gatecheck", *sys.argv[1:]]
runpy.run_module("gatecheck", run_name="__main__")
"""


def evaluate(
    bundle: Path, stage: str, out: Path, config: list[str] = CONFIG
) -> tuple[int, dict[str, Any], Path]:
    """One CLI evaluation writing the JSON report and the OSCAL document side by side."""
    out.mkdir(parents=True, exist_ok=True)
    oscal = out / "assessment-results.json"
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        stage,
        *config,
        "--format",
        "oscal",
        "--output",
        f"json={out / 'report.json'}",
        "--output",
        f"oscal={oscal}",
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout == oscal.read_text(encoding="utf-8")  # stdout and file are one render
    return proc.returncode, json.loads((out / "report.json").read_text()), oscal


def catalog() -> dict[str, dict[str, Any]]:
    from gatecheck.engine.backends import make_engine
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.policy_docs import control_catalog

    return control_catalog(make_engine("embedded"), load_policy_set([], []))


def trestle_validate(path: Path, model: str, workspace: Path) -> subprocess.CompletedProcess:
    """`trestle validate -f` on a copy of ``path`` inside a fresh trestle workspace."""
    trestle_cli = Path(sys.executable).parent / "trestle"
    if not (workspace / ".trestle").exists():
        workspace.mkdir(parents=True, exist_ok=True)
        init = subprocess.run(
            [str(trestle_cli), "init"], cwd=workspace, capture_output=True, text=True, check=False
        )
        assert init.returncode == 0, init.stderr
    folder = {
        "assessment-results": "assessment-results",
        "component-definition": "component-definitions",
    }
    target = workspace / folder[model] / path.stem / f"{model}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    return subprocess.run(
        [str(trestle_cli), "validate", "-f", str(target)],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def findings_by_control(model: AssessmentResults) -> dict[str, Any]:
    return {f.target.target_id: f for f in model.results[0].findings or []}


def props(item: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in item.props or []:
        out.setdefault(p.name, []).append(p.value)
    return out


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory) -> dict[str, tuple[int, dict[str, Any], Path]]:
    base = tmp_path_factory.mktemp("oscal")
    return {
        "production": evaluate(EXAMPLES / "payments-api-1.4.0", "production", base / "prod"),
        "staging": evaluate(EXAMPLES / "payments-api-1.4.0", "staging", base / "staging"),
        "vulnerable": evaluate(
            EXAMPLES / "variants" / "vulnerable-dependency", "production", base / "vuln"
        ),
    }


@pytest.mark.parametrize("run", ["production", "staging", "vulnerable"])
def test_every_control_has_its_state(example_runs, run) -> None:
    code, report, path = example_runs[run]
    model = AssessmentResults.oscal_read(path)  # trestle's loader validates while reading
    assert model is not None
    found = findings_by_control(model)
    assert sorted(found) == sorted(r["control"] for r in report["results"])
    for r in report["results"]:
        state = found[r["control"]].target.status.state.value
        if r["status"] == "warn":
            expected = "not-satisfied" if r["violations"] else "satisfied"
        elif r["status"] == "not_applicable":
            expected = "satisfied"
            assert found[r["control"]].target.implementation_status.state == "not-applicable"
        else:
            expected = STATE[r["status"]]
        assert state == expected, (r["control"], r["status"])
        assert props(found[r["control"]].target)["status"] == [r["status"]]
    result = model.results[0]
    assert props(result)["decision"] == [report["decision"]]
    assert props(result)["stage"] == [report["stage"]]
    assert props(result)["bundle-digest"] == [report["bundle_digest"]]
    assert props(result)["policy-digest"] == [report["policy_digest"]]
    assert model.metadata.last_modified.isoformat().replace("+00:00", "Z") == report["created_at"]
    assert model.import_ap.href == f"urn:gatecheck:policy-set:{report['policy_digest']}"
    assert code == (0 if report["decision"] == "pass" else 1)


def test_failing_variant_is_not_satisfied_where_the_gate_failed(example_runs) -> None:
    code, report, path = example_runs["vulnerable"]
    assert code == 1 and report["decision"] == "fail"
    found = findings_by_control(AssessmentResults.oscal_read(path))
    failed = [r["control"] for r in report["results"] if r["status"] == "fail"]
    assert "GC-ART-005" in failed
    for control in failed:
        assert found[control].target.status.state.value == "not-satisfied"
    # The failing finding's observation cites the scan file by bundle path and sha256.
    observations = {o.uuid: o for o in AssessmentResults.oscal_read(path).results[0].observations}
    obs = observations[found["GC-ART-005"].related_observations[0].observation_uuid]
    evidence = {e["path"]: e for e in report["bundle"]["evidence"]}
    cited = {e.href for e in obs.relevant_evidence}
    assert cited and cited <= set(evidence)
    for item in obs.relevant_evidence:
        assert props(item)["sha256"] == [evidence[item.href]["sha256"]]
    assert "PYSEC-2024-60" in obs.description


def test_framework_mappings_match_the_metadata(example_runs) -> None:
    _, report, path = example_runs["production"]
    model = AssessmentResults.oscal_read(path)
    info = catalog()
    found = findings_by_control(model)
    for control, finding in found.items():
        mapped = sorted(
            (p.class_, p.value) for p in finding.target.props if p.name == "framework-requirement"
        )
        expected = sorted(
            (key, ref) for key, refs in info[control]["frameworks"].items() for ref in refs
        )
        assert mapped == expected, control
    selections = model.results[0].reviewed_controls.control_selections
    assert [c.control_id for c in selections[0].include_controls] == sorted(found)
    nist = next(s for s in selections if props(s)["control-catalog"] == ["nist-800-53"])
    ids = {c.control_id for c in nist.include_controls}
    assert "cm-3.4" in ids  # CM-3(4) in NIST's OSCAL catalog form
    assert all(c == c.lower() for c in ids)


def test_same_evaluation_same_document(example_runs, tmp_path) -> None:
    _, report, path = example_runs["production"]
    # The same report rendered in another process gives the same bytes.
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    again = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json,sys; from gatecheck.engine.formats import render; "
            "sys.stdout.write(render(json.load(open(sys.argv[1])), 'oscal'))",
            str(tmp_path / "report.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout == render(report, "oscal")
    # A second evaluation differs only in the report's creation time (last-modified, end).
    _, report2, path2 = evaluate(EXAMPLES / "payments-api-1.4.0", "production", tmp_path / "2")
    first, second = json.loads(path.read_text()), json.loads(path2.read_text())
    for doc in (first, second):
        del doc["assessment-results"]["metadata"]["last-modified"]
        del doc["assessment-results"]["results"][0]["end"]
    assert first == second
    report2["created_at"] = report["created_at"]
    assert path.read_text() == render(report2, "oscal", catalog=catalog())


def test_uuids_depend_on_the_evaluation(example_runs) -> None:
    production = AssessmentResults.oscal_read(example_runs["production"][2])
    staging = AssessmentResults.oscal_read(example_runs["staging"][2])
    assert production.uuid != staging.uuid
    assert set(findings_by_control(production)) == set(findings_by_control(staging))
    uuids = [f.uuid for f in production.results[0].findings]
    uuids += [o.uuid for o in production.results[0].observations]
    assert len(uuids) == len(set(uuids))
    assert stable_uuid("a", "b") == stable_uuid("a", "b") != stable_uuid("a", "c")


def test_trestle_validate_accepts_both_documents_and_rejects_a_broken_one(
    example_runs, tmp_path
) -> None:
    workspace = tmp_path / "ws"
    proc = trestle_validate(example_runs["vulnerable"][2], "assessment-results", workspace)
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stdout + proc.stderr
    # The adversary's copy: two findings with one UUID, which OSCAL forbids.
    doc = json.loads(example_runs["vulnerable"][2].read_text())
    findings = doc["assessment-results"]["results"][0]["findings"]
    findings[1]["uuid"] = findings[0]["uuid"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    proc = trestle_validate(broken, "assessment-results", workspace)
    assert proc.returncode != 0 and "INVALID" in proc.stdout, proc.stdout + proc.stderr

    cd = tmp_path / "catalog.json"
    made = run_gatecheck("policy", "docs", "--format", "oscal", "-o", str(cd))
    assert made.returncode == 0, made.stderr
    proc = trestle_validate(cd, "component-definition", workspace)
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stdout + proc.stderr


def test_waived_and_warned_controls_are_reported_deliberately() -> None:
    from formats_support import realistic

    report, _, info = realistic()
    doc = json.loads(render(report, "oscal", catalog=info))
    model = AssessmentResults.model_validate(doc["assessment-results"])
    found = findings_by_control(model)
    waived = next(r for r in report["results"] if r["status"] == "waived")
    finding = found[waived["control"]]
    assert finding.target.status.state.value == "not-satisfied"
    risks = {r.uuid: r for r in model.results[0].risks}
    risk = risks[finding.related_risks[0].risk_uuid]
    assert json.loads(risk.status.model_dump_json()) == "deviation-approved"
    waiver = report["waivers"]["applied"][0]
    assert props(risk)["waiver-id"] == [waiver["id"]]
    assert props(risk)["approver"] == [waiver["approver"]]
    assert risk.description == waiver["justification"]
    warned = [r for r in report["results"] if r["status"] == "warn"]
    assert {bool(r["violations"]) for r in warned} == {True, False}  # both kinds present
    for r in warned:
        state = found[r["control"]].target.status.state.value
        assert state == ("not-satisfied" if r["violations"] else "satisfied"), r["control"]


def test_an_evaluation_error_has_no_satisfied_finding(tmp_path) -> None:
    from test_formats import error_report_from_pipeline

    report = error_report_from_pipeline(tmp_path)
    doc = json.loads(render(report, "oscal"))
    result = AssessmentResults.model_validate(doc["assessment-results"]).results[0]
    assert result.findings is None
    assert props(result)["decision"] == ["error"]
    assert report["error"].split(":")[0] in result.remarks


def test_hostile_report_text_gives_a_valid_document_or_one_line(tmp_path) -> None:
    from formats_support import realistic

    report = copy.deepcopy(realistic()[0])
    report["results"][0]["title"] = "two\nlines"
    report["results"][0]["control"] = "ORG 1 (custom)"
    report["results"][1]["status"] = "bogus"
    report["release"]["artifacts"][0]["name"] = "ghcr.io/x/y z"
    doc = json.loads(render(report, "oscal"))
    model = AssessmentResults.model_validate(doc["assessment-results"])
    found = findings_by_control(model)
    assert "ORG-1-custom-" in found
    assert found[report["results"][1]["control"]].target.status.state.value == "not-satisfied"
    report["created_at"] = "not a time"
    report["effective_time"] = None
    render(report, "oscal")  # falls back to a fixed time, still a document
    report["bundle"]["evidence"][0]["sha256"] = ""
    report["bundle"]["evidence"][1]["path"] = "evidence/x.json"
    render(report, "oscal")
    report["results"][2]["waived"] = [{"waiver": "W", "msg": "m"}]
    report["results"][2]["status"] = "waived"
    report["waivers"]["applied"] = [{"id": "W", "expires": "never"}]
    doc = json.loads(render(report, "oscal"))
    risks = doc["assessment-results"]["results"][0]["risks"]
    (risk,) = [r for r in risks if r["title"].startswith("Waiver W for")]
    assert "deadline" not in risk  # an unreadable expiry is kept as text, never guessed
    assert {"name": "expires", "ns": PROP_NS, "value": "never"} in risk["props"]


def test_control_ids_in_oscal_form() -> None:
    assert oscal_control_id("nist-800-53", "CM-3(4)") == "cm-3.4"
    assert oscal_control_id("nist-800-53", "AC-5") == "ac-5"
    assert oscal_control_id("iso27001", "A.5.32") == "a.5.32"
    assert oscal_control_id("slsa-v1.0", "Build L2 provenance") == "build-l2-provenance"
    assert oscal_control_id("x", "1.2") == "x-1.2"


def test_component_definition_maps_every_control_and_is_reproducible(tmp_path) -> None:
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.engine.policy_docs import param_value

    env = {"SOURCE_DATE_EPOCH": "1795755600"}
    first = run_gatecheck("policy", "docs", "--format", "oscal", env=env)
    second = run_gatecheck("policy", "docs", "--format", "oscal", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    path = tmp_path / "component-definition.json"
    path.write_text(first.stdout, encoding="utf-8")
    model = ComponentDefinition.oscal_read(path)
    assert model.metadata.last_modified.isoformat() == "2026-11-27T05:00:00+00:00"
    (component,) = model.components
    assert component.title == "gatecheck policy library"
    info = catalog()
    data = load_policy_set([], []).data
    expected = sorted(
        (key, ref, control)
        for control, i in info.items()
        for key, refs in (i.get("frameworks") or {}).items()
        for ref in refs
    )
    seen = []
    for impl in component.control_implementations:
        key = props(impl)["framework"][0]
        for req in impl.implemented_requirements:
            p = props(req)
            control = p["control-id"][0]
            seen.append((key, p["label"][0], control))
            assert req.control_id == oscal_control_id(key, p["label"][0])
            assert p["severity"] == [info[control]["severity"]]
            assert req.description.startswith(f"{control}: {info[control]['title']}")
            params = {s.param_id: json.loads(s.values[0]) for s in req.set_parameters or []}
            for name in info[control].get("params") or []:
                assert params.get(name) == param_value(data, name), (control, name)
    assert sorted(seen) == expected
    nist = next(i for i in component.control_implementations if "nist" in i.source)
    assert nist.source.endswith("NIST_SP-800-53_rev5_catalog.json")


def test_missing_trestle_is_one_line_and_exit_2(tmp_path) -> None:
    for args in (
        [
            "evaluate",
            str(EXAMPLES / "payments-api-1.4.0"),
            "--stage",
            "production",
            *CONFIG,
            "--format",
            "oscal",
        ],
        [
            "evaluate",
            str(EXAMPLES / "payments-api-1.4.0"),
            "--stage",
            "production",
            *CONFIG,
            "--output",
            f"oscal={tmp_path / 'x.json'}",
        ],
        ["policy", "docs", "--format", "oscal"],
    ):
        proc = subprocess.run(
            [sys.executable, "-c", NO_TRESTLE, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "pip install 'gatecheck[oscal]'" in lines[0]
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not (tmp_path / "x.json").exists()


# -- who vouched for the evidence ---------------------------------------------------------------

AUTH_DATA = ROOT / "tests" / "data" / "authenticity"
APPROVAL = {
    "decision": "approved",
    "change_id": "CHG0041702",
    "release_version": "1.4.0",
    "approver": "r.haddad@example.org",
    "roles": ["security"],
    "type": "cab",
    "time": "2026-11-25T16:25:00Z",
}


@dataclass
class Vouched:
    """A bundle of real attestations evaluated at production and staging: each file's path,
    the key id of the key that signed it (independently computed) and both runs."""

    paths: dict[str, str]
    key_ids: dict[str, str]
    runs: dict[str, tuple[int, dict[str, Any], Path]]


def key_id(key: ed25519.Ed25519PrivateKey) -> str:
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return "key:" + hashlib.sha256(der).hexdigest()


def bundle_path(source: Path) -> str:
    """Where the bundle stores ``source``: named by its content."""
    return "evidence/" + hashlib.sha256(source.read_bytes()).hexdigest() + source.suffix


@pytest.fixture(scope="module")
def vouched(tmp_path_factory) -> Vouched:
    from helpers import make_bundle
    from trust_support import TrustKit, bundle_release, sign_bundle_release

    from gatecheck.bundles.store import add_evidence, seal_bundle

    base = tmp_path_factory.mktemp("oscal-vouched")
    root, work = base / "bundle", base / "signed"
    work.mkdir()
    make_bundle(root, seal=False)
    kit = TrustKit.for_release(bundle_release(root)[1])
    kit.person("r.haddad", ["security"], ["r.haddad@example.org"])
    stranger = ed25519.Ed25519PrivateKey.generate()  # a key no trust policy lists
    files = {
        "release": sign_bundle_release(kit, root, work / "release.dsse.json"),
        "sbom": kit.attest(AUTH_DATA / "sbom.cdx.json", "sbom", "ci-build", work / "sbom.json"),
        # What the scanner wrote, unsigned: excluded where authentication is required.
        "scan": AUTH_DATA / "pip-audit.json",
        # A real key of the trust policy, r.haddad's, on test results it is not authorized for.
        "junit": kit.attest(
            AUTH_DATA / "junit-unit.xml",
            "test-results",
            "r.haddad",
            work / "junit.json",
            kind="unit",
        ),
        "coverage": kit.attest(AUTH_DATA / "coverage.xml", "coverage", stranger, work / "cov.json"),
        "approval": kit.approval(APPROVAL, "r.haddad", work / "approval.json"),
    }
    add_evidence(root, list(files.values()))
    seal_bundle(root)
    config = ["--config", str(kit.write_config(work / "gatecheck.yaml")), "--at", AT]
    return Vouched(
        paths={name: bundle_path(path) for name, path in files.items()},
        key_ids={
            "ci-build": key_id(kit.key("ci-build")),
            "change-system": key_id(kit.key("change-system")),
            "r.haddad": key_id(kit.key("r.haddad")),
        },
        runs={
            stage: evaluate(root, stage, base / stage, config)
            for stage in ("production", "staging")
        },
    )


def resources(model: AssessmentResults) -> dict[str, Any]:
    return {r.rlinks[0].href: r for r in model.back_matter.resources}


def parties(model: AssessmentResults) -> dict[str, Any]:
    return {p.uuid: p for p in model.metadata.parties or []}


def signer_of(model: AssessmentResults, resource: Any) -> Any:
    """The party a resource's ``signer-party-uuid`` names (it must exist)."""
    (uuid,) = props(resource)["signer-party-uuid"]
    return parties(model)[uuid]


def test_each_evidence_file_says_who_vouched_for_it(vouched) -> None:
    _, report, path = vouched.runs["production"]
    model = AssessmentResults.oscal_read(path)
    files = resources(model)
    assert set(vouched.paths.values()) <= set(files)
    verdicts = {e["path"]: e for e in report["authenticity"]["evidence"]}
    for href, resource in files.items():
        p = props(resource)
        assert p["authenticity-required"] == ["true"], href
        assert p["authenticated"] == [str(verdicts[href]["authenticated"]).lower()], href

    sbom = files[vouched.paths["sbom"]]
    p = props(sbom)
    assert (p["authenticated"], p["excluded"], p["signer"]) == (["true"], ["false"], ["ci-build"])
    assert next(x.class_ for x in sbom.props if x.name == "signer") == "producer"
    assert p["signer-identity"] == [vouched.key_ids["ci-build"]]
    assert "unauthenticated-reason" not in p
    party = signer_of(model, sbom)
    assert (party.name, party.type) == ("ci-build", "organization")
    assert [(str(x.scheme), x.id) for x in party.external_ids] == [
        ("https://gatecheck.dev/ns/oscal/signer-identity", vouched.key_ids["ci-build"])
    ]
    # The release manifest's signer is another party, with its own key.
    assert signer_of(model, files[vouched.paths["release"]]).name == "change-system"

    scan = props(files[vouched.paths["scan"]])
    assert (scan["authenticated"], scan["excluded"]) == (["false"], ["true"])
    assert scan["unauthenticated-reason"][0].startswith("not signed")
    assert not {"signer", "signer-party-uuid", "signer-identity"} & set(scan)


def test_a_file_signed_by_the_wrong_key_names_the_key_but_no_signer(vouched) -> None:
    _, _, path = vouched.runs["production"]
    model = AssessmentResults.oscal_read(path)
    files = resources(model)
    # r.haddad's real key on test results: the key is named, nobody vouched for the file.
    junit = props(files[vouched.paths["junit"]])
    assert (junit["authenticated"], junit["excluded"]) == (["false"], ["true"])
    assert junit["signer-identity"] == [vouched.key_ids["r.haddad"]]
    assert "not authorize for test-results" in junit["unauthenticated-reason"][0]
    assert "signer" not in junit and "signer-party-uuid" not in junit
    # ... nor does it make anyone a party: the parties are exactly who vouched for a file, each
    # with the one key it signed with.
    listed = {p.name: [x.id for x in p.external_ids] for p in model.metadata.parties}
    assert listed == {name: [key] for name, key in vouched.key_ids.items()}
    # A key the trust policy does not list: no identity verified at all.
    coverage = props(files[vouched.paths["coverage"]])
    assert (coverage["authenticated"], coverage["excluded"]) == (["false"], ["true"])
    assert "does not verify" in coverage["unauthenticated-reason"][0]
    assert "signer-identity" not in coverage and "signer" not in coverage


def test_an_approval_carries_its_verified_signer_as_a_person(vouched) -> None:
    _, report, path = vouched.runs["production"]
    model = AssessmentResults.oscal_read(path)
    approval = resources(model)[vouched.paths["approval"]]
    (entry,) = [a for a in report["authenticity"]["approvals"] if a["authenticated"]]
    grouped: dict[str, dict[str, list[str]]] = {}
    for p in approval.props:
        if p.group:
            grouped.setdefault(p.group, {}).setdefault(p.name, []).append(p.value)
    (group,) = grouped.values()
    assert group["approval-kind"] == ["cab"] and group["approval-decision"] == ["approved"]
    assert group["approval-authenticated"] == ["true"]
    assert group["approval-person"] == ["r.haddad"]
    assert group["approval-role"] == ["security"]
    assert group["approval-claimed-approver"] == ["r.haddad@example.org"]
    assert group["approval-signer-identity"] == [vouched.key_ids["r.haddad"]] == [entry["identity"]]
    party = parties(model)[group["approval-signer-party-uuid"][0]]
    assert (party.name, party.type) == ("r.haddad", "person")
    assert props(party)["trust-principal"] == ["person"]
    assert props(approval)["signer"] == ["r.haddad"]
    # Each party performs its role: producers and approvers as OSCAL responsible parties.
    roles = {r.role_id: set(r.party_uuids) for r in model.metadata.responsible_parties}
    assert {r.id for r in model.metadata.roles} == set(roles) == {"approver", "evidence-producer"}
    assert roles["approver"] == {party.uuid}
    by_name = {p.name: p.uuid for p in model.metadata.parties}
    assert roles["evidence-producer"] == {by_name["ci-build"], by_name["change-system"]}


def test_observations_say_whether_the_evidence_they_cite_counted(vouched) -> None:
    _, report, path = vouched.runs["production"]
    result = AssessmentResults.oscal_read(path).results[0]
    seen: dict[str, tuple[list[str], list[str]]] = {}
    for obs in result.observations:
        for item in obs.relevant_evidence or []:
            p = props(item)
            if "authenticated" in p:
                seen[item.href] = (p["authenticated"], p["excluded"], p.get("signer"))
    assert seen[vouched.paths["scan"]] == (["false"], ["true"], None)
    assert seen[vouched.paths["junit"]] == (["false"], ["true"], None)
    assert seen[vouched.paths["sbom"]] == (["true"], ["false"], ["ci-build"])
    assert props(result)["authenticity"] == [authenticity_summary(report)]
    assert props(result)["authenticity-required"] == ["true"]
    assert "facts of 3 excluded" in props(result)["authenticity"][0]


def test_at_staging_nothing_is_required_or_excluded(vouched) -> None:
    _, report, path = vouched.runs["staging"]
    assert report["authenticity"]["required"] is False
    model = AssessmentResults.oscal_read(path)
    files = resources(model)
    for name in ("scan", "junit", "coverage"):
        p = props(files[vouched.paths[name]])
        assert (p["authenticity-required"], p["authenticated"], p["excluded"]) == (
            ["false"],
            ["false"],
            ["false"],
        ), name
    assert props(files[vouched.paths["sbom"]])["signer"] == ["ci-build"]
    assert props(model.results[0])["authenticity-required"] == ["false"]


def test_trestle_validate_accepts_the_parties_and_checks_their_roles(vouched, tmp_path) -> None:
    path = vouched.runs["production"][2]
    workspace = tmp_path / "ws"
    proc = trestle_validate(path, "assessment-results", workspace)
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stdout + proc.stderr
    # A copy whose responsible parties perform a role the document never defines.
    doc = json.loads(path.read_text())
    doc["assessment-results"]["metadata"]["roles"].pop()
    broken = tmp_path / "no-role.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    proc = trestle_validate(broken, "assessment-results", workspace)
    assert proc.returncode != 0 and "INVALID" in proc.stdout, proc.stdout + proc.stderr


AUTH_PROPS = {
    "authenticity",
    "authenticity-required",
    "authenticated",
    "excluded",
    "signer",
    "signer-party-uuid",
    "signer-identity",
    "unauthenticated-reason",
    "verified-by-control",
}


def all_props(node: Any) -> list[dict[str, Any]]:
    """Every property anywhere in a JSON document."""
    if isinstance(node, dict):
        own = node["props"] if isinstance(node.get("props"), list) else []
        return own + [p for key, value in node.items() if key != "props" for p in all_props(value)]
    if isinstance(node, list):
        return [p for value in node for p in all_props(value)]
    return []


def without_authenticity(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with everything the authenticity block added taken out again."""
    doc = copy.deepcopy(doc)

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("props"), list):
                node["props"] = [
                    p
                    for p in node["props"]
                    if p["name"] not in AUTH_PROPS and not p["name"].startswith("approval-")
                ]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(doc)
    for key in ("roles", "parties", "responsible-parties"):
        doc["assessment-results"]["metadata"].pop(key, None)
    return doc


def test_the_report_records_whether_each_signer_is_a_producer_or_a_person(vouched) -> None:
    _, report, _ = vouched.runs["production"]
    kinds = {e["path"]: e["signer_kind"] for e in report["authenticity"]["evidence"]}
    assert kinds[vouched.paths["sbom"]] == kinds[vouched.paths["release"]] == "producer"
    assert kinds[vouched.paths["approval"]] == "person"
    # nobody vouched: no kind, whatever key signed
    assert kinds[vouched.paths["scan"]] is kinds[vouched.paths["junit"]] is None


def _parties_by_name(report: dict[str, Any]) -> dict[str, str]:
    doc = json.loads(render(report, "oscal"))
    return {p["name"]: p["type"] for p in doc["assessment-results"]["metadata"]["parties"]}


def test_the_recorded_signer_kind_decides_the_party_type(vouched) -> None:
    _, report, _ = vouched.runs["production"]
    assert _parties_by_name(report) == {
        "ci-build": "organization",
        "change-system": "organization",
        "r.haddad": "person",
    }
    # A producer that signed an approval counting for nobody (a review collector whose
    # approver the directory does not know) is still a producer: the report says so.
    collector = copy.deepcopy(report)
    entry = next(
        e for e in collector["authenticity"]["evidence"] if e["path"] == vouched.paths["approval"]
    )
    entry["signer_kind"] = "producer"
    for approval in collector["authenticity"]["approvals"]:
        approval["person"] = None
    assert _parties_by_name(collector)["r.haddad"] == "organization"
    # Reports made before the kind was recorded: inferred, the same parties here.
    older = copy.deepcopy(report)
    for e in older["authenticity"]["evidence"]:
        del e["signer_kind"]
    assert _parties_by_name(older) == _parties_by_name(report)


def test_a_report_without_authenticity_renders_as_before(vouched) -> None:
    _, report, _ = vouched.runs["production"]
    with_block = json.loads(render(report, "oscal"))
    older = {k: v for k, v in report.items() if k != "authenticity"}
    out = render(older, "oscal")
    doc = json.loads(out)
    assert without_authenticity(with_block) == doc  # the block only ever adds
    names = {p["name"] for p in all_props(doc)}
    assert names and not names & AUTH_PROPS
    assert not [n for n in names if n.startswith("approval-")]
    assert not {"roles", "parties", "responsible-parties"} & set(
        doc["assessment-results"]["metadata"]
    )
    assert "signer-identity" not in out


def test_hostile_signer_names_and_identities_stay_data() -> None:
    from formats_support import realistic

    report = copy.deepcopy(realistic()[0])
    evidence = report["authenticity"]["evidence"]
    vouched_entry = next(e for e in evidence if e["authenticated"] and e["type"] == "sbom")
    vouched_entry["producer"] = 'ci-build" <script>alert(1)</script>\nroot'
    vouched_entry["identity"] = 'key:<b>"x"</b>\n\x1b[31mred'
    unauth = next(e for e in evidence if e["type"] == "coverage")
    unauth.update(authenticated=False, excluded=True, producer=None, reason="bad\n<i>'q'</i>")
    report["authenticity"]["approvals"] = [
        {
            "path": vouched_entry["path"],
            "pointer": "/x",
            "kind": "cab\n<u>",
            "decision": 'approved"',
            "person": "<p>\nerson",
            "roles": ["a\nb"],
            "identity": "key:\n<k>",
            "authenticated": True,
        }
    ]
    out = render(report, "oscal")
    model = AssessmentResults.model_validate(json.loads(out)["assessment-results"])
    files = resources(model)
    sbom = props(files[vouched_entry["path"]])
    assert sbom["signer"] == ['ci-build" <script>alert(1)</script> root']
    assert sbom["signer-identity"] == ['key:<b>"x"</b> \\x1b[31mred']  # made printable
    assert sbom["approval-person"] == ["<p> erson"] and sbom["approval-role"] == ["a b"]
    assert sbom["approval-signer-identity"] == ["key: <k>"]
    party = signer_of(model, files[vouched_entry["path"]])
    assert party.name == 'ci-build" <script>alert(1)</script> root'
    assert party.external_ids[0].id == 'key:<b>"x"</b> \\x1b[31mred'
    assert props(files[unauth["path"]])["unauthenticated-reason"] == ["bad <i>'q'</i>"]
    assert "\x1b" not in out
    # Same hostile report, same document: the party's UUID depends on the name, not on order.
    assert render(report, "oscal") == out
