"""Governance evidence parsers: detection, normalized facts, list flattening, foreign formats
(GitHub reviews, ServiceNow CMDB) and records wrapped in in-toto Statements, plain or
DSSE-signed with keys made here."""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from trust_support import TrustKit

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.intoto import (
    PREDICATE_TYPE_PREFIX,
    sign_statement,
    statement_for,
)
from gatecheck.evidence.signing.keys import key_id, public_key_pem

DATA = Path(__file__).parent / "data" / "governance"
SUBJECT = [
    {
        "name": "ghcr.io/example-org/payments-api",
        "digest": {"sha256": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"},
    }
]


def doc_of(path: Path) -> Document:
    return Document.from_path(path)


def parse_file(path: Path, ctx: ParseContext | None = None) -> tuple[str, str, Any]:
    return parse_doc(doc_of(path), ctx)


def parse_doc(doc: Document, ctx: ParseContext | None = None) -> tuple[str, str, Any]:
    parser, fmt = registry.detect(doc)
    return parser.family, fmt, parser.parse(doc, fmt, ctx or ParseContext())


def json_doc(value: Any, name: str = "record.json") -> Document:
    return Document(json.dumps(value).encode("utf-8"), name)


@pytest.mark.parametrize(
    ("name", "family", "fmt"),
    [
        ("change-record-major.yaml", "change-record", "gatecheck-change-record"),
        ("change-record-emergency.json", "change-record", "gatecheck-change-record"),
        ("approvals-cab.yaml", "approval", "gatecheck-approval"),
        ("approval-emergency.json", "approval", "gatecheck-approval"),
        ("approvals-bare-list.json", "approval", "gatecheck-approval"),
        ("github-pr-reviews.json", "approval", "github-pr-reviews"),
        ("masking-attestation.yaml", "masking-attestation", "gatecheck-masking-attestation"),
        ("data-clones.json", "data-clone", "gatecheck-data-clone"),
        ("cmdb-export.yaml", "cmdb-export", "gatecheck-cmdb-export"),
        ("servicenow-cmdb-ci.json", "cmdb-export", "servicenow-cmdb-json"),
        ("release-manifest.yaml", "release-manifest", "gatecheck-release-manifest"),
    ],
)
def test_each_governance_file_is_detected_as_its_family(name: str, family: str, fmt: str) -> None:
    parser, detected = registry.detect(doc_of(DATA / name))
    assert (parser.family, detected) == (family, fmt)


@pytest.mark.parametrize("name", ["change", "evidence/ab12.yaml (change-record-major.yaml)"])
def test_yaml_record_is_read_whatever_the_file_is_called(name: str) -> None:
    # Bundles keep files under their digest and name documents after both.
    doc = Document((DATA / "change-record-major.yaml").read_bytes(), name)
    family, fmt, facts = parse_doc(doc)
    assert (family, fmt, facts["id"]) == ("change-record", "gatecheck-change-record", "CHG0031337")


def test_yaml_list_of_approvals_is_detected() -> None:
    raw = b"- kind: Approval\n  approver: a\n  decision: approved\n  time: 2026-03-01T00:00:00Z\n"
    family, _, facts = parse_doc(Document(raw, "approvals"))
    assert family == "approval" and facts[0]["pointer"] == "/0"


def test_change_record_facts() -> None:
    _, _, facts = parse_file(DATA / "change-record-emergency.json")
    assert facts["id"] == "CHG0031402"
    assert facts["release"] == {"name": "payments-api", "version": "2.4.1"}
    assert facts["status"] == "emergency-approved"
    assert facts["emergency"]["postmortem_due"] == "2026-03-12T00:00:00Z"
    assert facts["pointer"] == ""
    assert facts["signed"] is False and facts["verified"] is False and facts["signer"] is None


def test_single_approval_file_gives_one_fact() -> None:
    _, _, facts = parse_file(DATA / "approval-emergency.json")
    assert isinstance(facts, dict)
    assert facts["kind"] == "emergency"
    assert facts["roles"] == ["emergency-approver"]


def test_approval_list_is_flattened_with_a_pointer_per_approval() -> None:
    _, _, facts = parse_file(DATA / "approvals-cab.yaml")
    assert [f["pointer"] for f in facts] == ["/approvals/0", "/approvals/1", "/approvals/2"]
    assert [f["kind"] for f in facts] == ["cab", "cab", "compliance"]
    assert facts[0]["time"] == "2026-03-02T15:20:00Z"


def test_bare_approval_list_is_flattened() -> None:
    _, _, facts = parse_file(DATA / "approvals-bare-list.json")
    assert [(f["pointer"], f["decision"]) for f in facts] == [
        ("/0", "approved"),
        ("/1", "rejected"),
    ]


def test_data_clone_list_is_flattened() -> None:
    _, _, facts = parse_file(DATA / "data-clones.json")
    assert [(f["id"], f["from"], f["to"], f["pointer"]) for f in facts] == [
        ("clone-7f3e2a", "production", "staging", "/clones/0"),
        ("clone-7f3e2b", "production", "staging", "/clones/1"),
    ]


def test_masking_attestation_facts() -> None:
    _, _, facts = parse_file(DATA / "masking-attestation.yaml")
    assert facts["clone_id"] == "clone-7f3e2a"
    assert facts["verification"]["result"] == "passed"
    assert {f["name"]: f["masked"] for f in facts["fields"]}["card_pan"] is True


def test_cmdb_export_items_have_pointers() -> None:
    _, _, facts = parse_file(DATA / "cmdb-export.yaml")
    assert [(i["id"], i["pointer"]) for i in facts["items"]] == [
        ("9d385017c611228701d22104cc95c371", "/items/0"),
        ("3a3ab7c1c611228701d22104cc95c4f0", "/items/1"),
    ]
    assert facts["items"][0]["class"] == "application"


def test_servicenow_export_uses_sys_id_as_ci_id() -> None:
    _, _, facts = parse_file(DATA / "servicenow-cmdb-ci.json")
    assert [i["id"] for i in facts["items"]] == [
        "9d385017c611228701d22104cc95c371",
        "3a3ab7c1c611228701d22104cc95c4f0",
    ]
    assert facts["items"][1] == {
        "id": "3a3ab7c1c611228701d22104cc95c4f0",
        "name": "payments-worker",
        "class": "cmdb_ci_appl",
        "environment": "Production",
        "status": "1",
        "pointer": "/result/1",
    }


def test_servicenow_display_value_form_is_read() -> None:
    row = {
        "sys_id": {"display_value": "abc", "value": "abc"},
        "name": {"display_value": "payments-worker", "value": "payments-worker"},
        "operational_status": {"display_value": "Operational", "value": "1"},
    }
    _, fmt, facts = parse_doc(json_doc({"result": [row]}))
    assert fmt == "servicenow-cmdb-json"
    assert facts["items"][0]["id"] == "abc"
    assert facts["items"][0]["name"] == "payments-worker"
    assert facts["items"][0]["status"] == "Operational"


# -- GitHub pull-request reviews -----------------------------------------------------------------


def github_ctx() -> ParseContext:
    return ParseContext(labels={"change_id": "CHG0031337", "release_version": "2.4.0"})


def test_github_reviews_map_to_each_reviewers_latest_decision() -> None:
    _, _, facts = parse_file(DATA / "github-pr-reviews.json", github_ctx())
    # rhaddad requested changes, then approved: only the approval counts. The COMMENTED and
    # DISMISSED reviews decide nothing.
    assert [(f["approver"], f["decision"], f["pointer"]) for f in facts] == [
        ("rhaddad", "approved", "/3"),
        ("snakamura", "approved", "/4"),
    ]
    first = facts[0]
    assert first["time"] == "2026-03-02T14:03:27Z"
    assert first["change_id"] == "CHG0031337" and first["release_version"] == "2.4.0"
    assert first["kind"] == "change" and first["roles"] == []
    assert first["github"]["commit_id"] == "b7a4f1e0c9d8a3b2e1f0a9b8c7d6e5f4a3b2c1d0"
    assert first["comment"] == "Fixed by idempotency keys, thanks."
    assert facts[1]["comment"] is None  # GitHub sends an empty body


def test_github_changes_requested_after_approval_is_a_rejection() -> None:
    reviews = safe.load_json((DATA / "github-pr-reviews.json").read_bytes(), name="r.json")
    later = dict(reviews[0], id=1914000001, submitted_at="2026-03-03T08:00:00Z")
    _, _, facts = parse_doc(json_doc([*reviews, later]), github_ctx())
    assert ("rhaddad", "rejected") in [(f["approver"], f["decision"]) for f in facts]
    assert ("rhaddad", "approved") not in [(f["approver"], f["decision"]) for f in facts]


def test_github_reviews_without_labels_are_unbound() -> None:
    _, _, facts = parse_file(DATA / "github-pr-reviews.json")
    assert all(f["change_id"] is None and f["release_version"] is None for f in facts)


def test_github_review_kind_comes_from_the_label() -> None:
    ctx = ParseContext(labels={"kind": "cab"})
    _, _, facts = parse_file(DATA / "github-pr-reviews.json", ctx)
    assert {f["kind"] for f in facts} == {"cab"}


def test_github_review_by_a_deleted_account_is_kept_as_ghost() -> None:
    reviews = safe.load_json((DATA / "github-pr-reviews.json").read_bytes(), name="r.json")
    ghost = dict(reviews[0], user=None)
    _, _, facts = parse_doc(json_doc([ghost]))
    assert [(f["approver"], f["decision"]) for f in facts] == [("ghost", "rejected")]


def test_github_review_with_unknown_state_is_refused() -> None:
    reviews = safe.load_json((DATA / "github-pr-reviews.json").read_bytes(), name="r.json")
    with pytest.raises(EvidenceError, match=r"reviews.json: /0/state 'LGTM'"):
        parse_doc(json_doc([dict(reviews[0], state="LGTM")], "reviews.json"))


def test_github_approval_without_submission_time_is_refused() -> None:
    reviews = safe.load_json((DATA / "github-pr-reviews.json").read_bytes(), name="r.json")
    pending = {k: v for k, v in reviews[3].items() if k != "submitted_at"}
    with pytest.raises(EvidenceError, match="submitted_at is missing"):
        parse_doc(json_doc([pending]))


# -- malformed records -----------------------------------------------------------------------------


def test_invalid_record_error_names_file_and_field() -> None:
    value = safe.load_structured((DATA / "approval-emergency.json").read_bytes(), name="a.json")
    value["time"] = "tomorrow"
    with pytest.raises(EvidenceError, match=r"^approval.json: time: .*not an RFC 3339"):
        parse_doc(json_doc(value, "approval.json"))


def test_invalid_item_in_a_list_names_its_pointer() -> None:
    items = safe.load_json((DATA / "approvals-bare-list.json").read_bytes(), name="l.json")
    del items[1]["decision"]
    with pytest.raises(EvidenceError, match=r"^list.json /1: decision: Field required"):
        parse_doc(json_doc(items, "list.json"))


def test_empty_list_is_not_claimed_by_any_governance_parser() -> None:
    with pytest.raises(EvidenceError, match="unknown evidence format"):
        registry.detect(json_doc([]))


def test_unreadable_yaml_record_is_an_evidence_error() -> None:
    doc = Document(b"kind: Approval\napprover: [unclosed\n", "approval.yaml")
    with pytest.raises(EvidenceError, match="approval.yaml"):
        registry.parser_for("approval", "gatecheck-approval").parse(
            doc, "gatecheck-approval", ParseContext()
        )


# -- in-toto Statements and DSSE ------------------------------------------------------------------


def record_of(name: str) -> dict[str, Any]:
    return safe.load_structured((DATA / name).read_bytes(), name=name)


def test_plain_statement_gives_the_same_facts_with_predicate_pointers() -> None:
    plain = parse_file(DATA / "approvals-cab.yaml")[2]
    statement = statement_for(record_of("approvals-cab.yaml"), SUBJECT)
    assert statement["predicateType"] == PREDICATE_TYPE_PREFIX + "approval-list/v1"
    family, fmt, wrapped = parse_doc(json_doc(statement))
    assert (family, fmt) == ("approval", "gatecheck-approval-intoto")
    assert [f["pointer"] for f in wrapped] == [f"/predicate{f['pointer']}" for f in plain]
    for p, w in zip(plain, wrapped, strict=True):
        assert {k: v for k, v in w.items() if k not in ("pointer", "statement")} == {
            k: v for k, v in p.items() if k != "pointer"
        }
    assert wrapped[0]["statement"]["subject"] == SUBJECT
    assert wrapped[0]["signed"] is False


def test_statement_predicate_may_omit_kind() -> None:
    record = {k: v for k, v in record_of("masking-attestation.yaml").items() if k != "kind"}
    statement = statement_for(record, SUBJECT, "masking-attestation")
    family, _, facts = parse_doc(json_doc(statement))
    assert family == "masking-attestation"
    assert facts["dataset"] == "payments.customers"


def test_statement_whose_predicate_kind_contradicts_its_type_is_refused() -> None:
    statement = statement_for(record_of("approval-emergency.json"), SUBJECT)
    statement["predicate"]["kind"] = "ChangeRecord"
    with pytest.raises(EvidenceError, match="does not match predicateType"):
        registry.parser_for("approval", "gatecheck-approval-intoto").parse(
            json_doc(statement), "gatecheck-approval-intoto", ParseContext()
        )


def test_statement_without_subject_is_refused() -> None:
    statement = statement_for(record_of("change-record-major.yaml"), [])
    with pytest.raises(EvidenceError, match="no subject list"):
        parse_doc(json_doc(statement, "change.intoto.json"))


def test_foreign_statement_is_left_to_other_parsers() -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": SUBJECT,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {}, "runDetails": {}},
    }
    doc = json_doc(statement)
    for family in ("approval", "change-record", "masking-attestation", "data-clone"):
        with pytest.raises(EvidenceError, match="not a supported"):
            registry.detect(doc, family)


def signed_doc(record: str, key: Any, name: str = "approval.dsse.json") -> Document:
    envelope = sign_statement(statement_for(record_of(record), SUBJECT), key)
    return Document(envelope.to_json(), name)


def keys_ctx(*public: Any) -> ParseContext:
    return ParseContext(config={"trusted_keys": [{"pem": public_key_pem(k)} for k in public]})


def test_dsse_signed_record_verified_with_a_configured_key_names_its_signer() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    family, fmt, facts = parse_doc(signed_doc("approvals-cab.yaml", key), keys_ctx(key))
    assert (family, fmt) == ("approval", "gatecheck-approval-dsse")
    assert len(facts) == 3
    for fact in facts:
        assert fact["signed"] is True and fact["verified"] is True
        assert fact["signer"] == {"key_id": key_id(key), "alias": None}
        assert fact["verification_error"] is None
        assert fact["pointer"] == "/payload"
    assert [f["payload_pointer"] for f in facts] == [
        "/predicate/approvals/0",
        "/predicate/approvals/1",
        "/predicate/approvals/2",
    ]


def test_dsse_signed_cmdb_export_cites_the_payload_for_each_item() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    _, fmt, facts = parse_doc(signed_doc("cmdb-export.yaml", key, "cmdb.dsse.json"), keys_ctx(key))
    assert fmt == "gatecheck-cmdb-export-dsse"
    assert [i["pointer"] for i in facts["items"]] == ["/payload", "/payload"]
    assert facts["verified"] is True


def test_dsse_signed_by_an_unconfigured_key_is_unverified() -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    other = ed25519.Ed25519PrivateKey.generate()
    _, _, facts = parse_doc(signed_doc("change-record-major.yaml", signer), keys_ctx(other))
    assert facts["signed"] is True and facts["verified"] is False
    assert facts["signer"] is None
    assert "none of the 1 signature(s) verifies" in facts["verification_error"]
    assert facts["id"] == "CHG0031337"  # the record is still read, for the control to judge


def test_dsse_without_configured_keys_says_so() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    _, _, facts = parse_doc(signed_doc("masking-attestation.yaml", key))
    assert facts["verified"] is False
    assert "no keys are configured" in facts["verification_error"]


def test_dsse_with_tampered_payload_is_unverified() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    envelope = json.loads(signed_doc("approval-emergency.json", key).raw)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["release_version"] = "9.9.9"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    _, _, facts = parse_doc(json_doc(envelope), keys_ctx(key))
    assert facts["release_version"] == "9.9.9"
    assert facts["verified"] is False and facts["signer"] is None


def test_dsse_with_broken_key_configuration_stops() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    ctx = ParseContext(config={"trusted_keys": [{"pem": "not a key"}]})
    with pytest.raises(ConfigError, match="trusted_keys"):
        parse_doc(signed_doc("approval-emergency.json", key), ctx)


def test_malformed_dsse_envelope_is_an_evidence_error() -> None:
    envelope = {
        "payloadType": "application/vnd.in-toto+json",
        "payload": "!!not base64!!",
        "signatures": [{"keyid": "", "sig": "AA=="}],
    }
    doc = json_doc(envelope, "bad.dsse.json")
    parser = registry.parser_for("approval", "gatecheck-approval-dsse")
    with pytest.raises(EvidenceError, match="bad.dsse.json: /payload is not valid base64"):
        parser.parse(doc, "gatecheck-approval-dsse", ParseContext())


@pytest.mark.parametrize(
    "name", sorted(p.name for p in DATA.iterdir() if p.name != "release-manifest.yaml")
)
def test_facts_leave_the_framework_keys_free(name: str) -> None:
    # The input builder adds source, tool and labels around every fact.
    _, _, facts = parse_file(DATA / name, github_ctx())
    for fact in facts if isinstance(facts, list) else [facts]:
        assert not {"source", "tool", "labels"} & fact.keys()


# -- end to end: real bundle, real OPA -----------------------------------------------------------

GOVERNANCE_CONTROLS = {
    *(f"GC-REL-00{i}" for i in range(2, 6)),
    *(f"GC-CHG-00{i}" for i in range(1, 6)),
    "GC-ENV-001",
    "GC-EVD-001",  # every file is signed by its producer: the other controls see the facts
}
EFFECTIVE = "2026-03-04T10:30:00Z"  # a Wednesday, inside the change's planned window


@functools.cache
def only_governance_controls() -> dict[str, Any]:
    """A stage profile that switches every other control off, so the decision is ours."""
    from gatecheck.engine.policy import load_policy_set

    ids = set()
    for module in load_policy_set().modules:
        ids |= set(re.findall(r"^#\s+id: (GC-[A-Z]+-\d+)", module.text, re.MULTILINE))
    assert ids >= GOVERNANCE_CONTROLS
    return {"production": {"enforce": {i: "off" for i in ids - GOVERNANCE_CONTROLS}}}


def approval_files(tmp: Path, key: Any = None) -> list[Path]:
    """The CAB approvals as one file each (plain JSON, or DSSE-signed with ``key``)."""
    files = []
    for i, item in enumerate(record_of("approvals-cab.yaml")["approvals"]):
        path = tmp / f"approval-{i}.json"
        record = {"kind": "Approval", **item}
        if key is None:
            path.write_text(json.dumps(record))
        else:
            path.write_bytes(sign_statement(statement_for(record, SUBJECT), key).to_json())
        files.append(path)
    return files


def governance_kit(release: Path) -> TrustKit:
    """The release's producers, and a directory of the people the records name: roles come
    from here, never from what an approval declares."""
    kit = TrustKit.for_release(release)
    for pid, roles in {
        "s.nakamura@example.org": ["service-owner"],
        "r.haddad@example.org": ["security"],
        "p.moreau@example.org": ["compliance-officer"],
        "release-bot": ["deployer"],
    }.items():
        kit.person(pid, roles)
    return kit


def evaluate_bundle(
    tmp: Path,
    files: list[Path],
    release: Path,
    kit: TrustKit | None = None,
    *,
    signed_by: TrustKit | None = None,
    **config: Any,
) -> dict:
    """Evaluate at production with every file (and the release manifest) signed by its
    producer in ``signed_by`` (default: ``kit``, default :func:`governance_kit`), trusting
    ``kit``'s trust policy."""
    from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle
    from gatecheck.engine.config import Config
    from gatecheck.engine.embedded import EmbeddedEngine
    from gatecheck.engine.evaluate import EvaluationRequest, evaluate
    from gatecheck.timeutil import parse_rfc3339

    kit = kit or governance_kit(release)
    manifest = safe.load_structured(release.read_bytes(), name=release.name)
    root = tmp / "bundle"
    init_bundle(root, manifest["name"], manifest["version"])
    add_evidence(root, (signed_by or kit).signed([release, *files], tmp / "signed"))
    seal_bundle(root)
    request = EvaluationRequest(
        bundle=root,
        stage="production",
        effective=parse_rfc3339(EFFECTIVE),
        config=Config.model_validate(
            {"stages": only_governance_controls(), **kit.config(), **config}
        ),
        config_dir=tmp,
    )
    report = evaluate(request, EmbeddedEngine())
    assert report["error"] is None, report["error"]
    return report


def statuses(report: dict) -> dict[str, str]:
    return {r["control"]: r["status"] for r in report["results"]}


def single_clone(tmp: Path) -> Path:
    path = tmp / "clone.json"
    path.write_text(json.dumps({"kind": "DataClone", **record_of("data-clones.json")["clones"][0]}))
    return path


def test_major_release_with_its_governance_evidence_passes(tmp_path: Path) -> None:
    files = [
        DATA / "change-record-major.yaml",
        *approval_files(tmp_path),
        DATA / "masking-attestation.yaml",
        single_clone(tmp_path),
        DATA / "cmdb-export.yaml",
    ]
    report = evaluate_bundle(tmp_path, files, DATA / "release-manifest.yaml")
    assert statuses(report) == {
        **{c: "pass" for c in GOVERNANCE_CONTROLS},
        "GC-CHG-003": "not_applicable",
    }
    assert report["decision"] == "pass"
    assert report["auto_approved"] is False


def test_major_release_without_security_approval_fails_with_evidence(tmp_path: Path) -> None:
    files = [DATA / "change-record-major.yaml", *approval_files(tmp_path)]
    files.pop(2)  # r.haddad, the security approver
    report = evaluate_bundle(tmp_path, files, DATA / "release-manifest.yaml")
    result = next(r for r in report["results"] if r["control"] == "GC-CHG-001")
    assert result["status"] == "fail"
    assert result["messages"] == [
        "major medium-risk release needs 2 distinct approver(s); 1 valid approval(s) found "
        "(s.nakamura@example.org)",
        'no valid approval by the required role "security" for this major medium-risk release',
    ]
    assert report["decision"] == "fail"


def test_standard_low_risk_change_from_template_is_auto_approved(tmp_path: Path) -> None:
    release = record_of("release-manifest.yaml")
    release.update({"class": "standard", "risk": "low", "data_migration": False})
    for artifact in release["artifacts"]:
        artifact.pop("regulated", None)
    release_file = tmp_path / "release.json"
    release_file.write_text(json.dumps(release))
    change = record_of("change-record-major.yaml")
    change["pre_approved_template"] = "std-service-release"
    change_file = tmp_path / "change.json"
    change_file.write_text(json.dumps(change))
    report = evaluate_bundle(
        tmp_path,
        [change_file],
        release_file,
        params={"pre_approved_templates": ["std-service-release"]},
    )
    assert statuses(report)["GC-CHG-001"] == "pass"
    assert statuses(report)["GC-CHG-005"] == "not_applicable"
    assert report["decision"] == "pass"
    assert report["auto_approved"] is True


def test_approvals_count_only_when_signed_by_the_directory_person_they_name(
    tmp_path: Path,
) -> None:
    # The approvals, each signed by its approver's own key: the directory's roles count.
    files = [DATA / "change-record-major.yaml", *approval_files(tmp_path)]
    kit = governance_kit(DATA / "release-manifest.yaml")
    signed = evaluate_bundle(tmp_path / "signed", files, DATA / "release-manifest.yaml", kit)
    assert statuses(signed)["GC-CHG-001"] == "pass"
    assert statuses(signed)["GC-EVD-001"] == "pass"
    people = {a["person"]: a["roles"] for a in signed["authenticity"]["approvals"]}
    assert people["r.haddad@example.org"] == ["security"]

    # The directory holds another key for r.haddad: the approval his old key signed is
    # nobody's, so the security role is missing however the approval describes itself.
    rekeyed_kit = copy.deepcopy(kit)
    rekeyed_kit.person("r.haddad@example.org", ["security"])
    rekeyed = evaluate_bundle(
        tmp_path / "rekeyed", files, DATA / "release-manifest.yaml", rekeyed_kit, signed_by=kit
    )
    chg_001 = next(r for r in rekeyed["results"] if r["control"] == "GC-CHG-001")
    assert chg_001["status"] == "fail"
    assert 'no valid approval by the required role "security"' in " ".join(chg_001["messages"])
    evd = next(r for r in rekeyed["results"] if r["control"] == "GC-EVD-001")
    assert evd["status"] == "fail"
    assert len(evd["messages"]) == 1
    assert "approval evidence" in evd["messages"][0]
    assert "its signature does not verify against the trust policy" in evd["messages"][0]
    assert rekeyed["decision"] == "fail"
