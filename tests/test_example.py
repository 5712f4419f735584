"""The shipped example bundle and its failing variants, exactly as the README uses them."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from helpers import run_gatecheck

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AT = "2026-11-27T10:00:00Z"
CONFIG = ["--config", str(EXAMPLES / "gatecheck.yaml"), "--at", AT]
COMMON = ["--stage", "production", *CONFIG]


def evaluate(bundle: Path, *extra: str, stage: str = "production"):
    proc = run_gatecheck(
        "evaluate", str(bundle), "--stage", stage, *CONFIG, "--format", "json", *extra
    )
    report = json.loads(proc.stdout)
    return proc, report, {r["control"]: r for r in report["results"]}


def test_readme_quick_start_evaluation_passes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if "gatecheck evaluate examples/" in line)
    args = shlex.split(command.split(".venv/bin/gatecheck ", 1)[1])
    proc = run_gatecheck(*args, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout.splitlines()[0]


def test_example_passes_every_enforced_control() -> None:
    proc, report, results = evaluate(EXAMPLES / "payments-api-1.4.0")
    assert proc.returncode == 0
    assert report["decision"] == "pass"
    # idna 3.10 declares its license only by the trove classifier "BSD License", which names
    # no single SPDX license: GC-ART-004 says so (advisory), and nothing else is not a pass.
    warned = {c: r for c, r in results.items() if r["status"] == "warn"}
    assert list(warned) == ["GC-ART-004"], warned
    assert warned["GC-ART-004"]["messages"] == [
        "1 component licenses in sbom.cdx.json.dsse.json name no SPDX license, so license_deny"
        ' cannot be applied: idna 3.10: "License :: OSI Approved :: BSD License"'
    ]
    others = {r["status"] for c, r in results.items() if c not in warned}
    assert others <= {"pass", "not_applicable"}
    assert len(results) >= 30  # the whole catalog applies to a major production release


def test_every_example_file_is_vouched_for_by_its_producer() -> None:
    _, report, _ = evaluate(EXAMPLES / "payments-api-1.4.0")
    authenticity = report["authenticity"]
    assert authenticity["required"] is True
    producers = {e["name"]: e["producer"] for e in authenticity["evidence"]}
    assert all(e["authenticated"] and not e["excluded"] for e in authenticity["evidence"])
    assert producers["sbom.cdx.json.dsse.json"] == "ci-build"
    assert producers["pip-audit.json.dsse.json"] == "ci-build"
    assert producers["change-record.yaml.dsse.json"] == "change-system"
    assert producers["release-manifest.yaml.dsse.json"] == "change-system"
    assert producers["env-production.json.dsse.json"] == "sre-platform"
    # each approval is its approver's own, with the directory's roles
    people = {a["person"]: a["roles"] for a in authenticity["approvals"] if a["authenticated"]}
    assert people == {
        "s.nakamura": ["service-owner"],
        "r.haddad": ["security"],
        "p.moreau": ["compliance-officer"],
        "k.obi": ["product-owner"],
    }


@pytest.mark.parametrize(
    ("variant", "file", "reason", "lost"),
    [
        ("forged-approval", "approval-security.yaml", "not signed", "GC-CHG-001"),
        (
            "approval-signed-by-ci",
            "approval-r.haddad.yaml.dsse.json",
            "(producer:ci-build), whom the trust policy does not authorize for approval",
            "GC-CHG-001",
        ),
        (
            "scan-signed-by-approver",
            "pip-audit.json.dsse.json",
            "(person:r.haddad), whom the trust policy does not authorize for vulnerability-scan",
            "GC-ART-005",
        ),
    ],
)
def test_evidence_not_vouched_for_by_its_producer_fails_at_production(
    variant: str, file: str, reason: str, lost: str
) -> None:
    proc, report, results = evaluate(EXAMPLES / "variants" / variant)
    assert proc.returncode == 1 and report["decision"] == "fail"
    failed = sorted(c for c, r in results.items() if r["status"] == "fail")
    assert failed == sorted(["GC-EVD-001", lost])
    (message,) = results["GC-EVD-001"]["messages"]
    assert file in message and reason in message and "its facts were excluded" in message
    (excluded,) = [e for e in report["authenticity"]["evidence"] if e["excluded"]]
    assert excluded["name"] == file and not excluded["authenticated"]


def test_forged_approval_counts_at_staging_but_is_reported_unauthenticated() -> None:
    proc, report, results = evaluate(EXAMPLES / "variants" / "forged-approval", stage="staging")
    assert proc.returncode == 0 and report["decision"] == "pass"
    assert results["GC-EVD-001"]["status"] == "warn"
    assert results["GC-CHG-001"]["status"] == "pass"
    authenticity = report["authenticity"]
    assert authenticity["required"] is False
    (forged,) = [a for a in authenticity["approvals"] if not a["authenticated"]]
    assert forged["claimed_approver"] == "r.haddad@example.org" and forged["identity"] is None
    (unsigned,) = [e for e in authenticity["evidence"] if not e["authenticated"]]
    assert unsigned["name"] == "approval-security.yaml" and not unsigned["excluded"]


def test_vulnerable_dependency_fails_naming_the_vulnerability() -> None:
    proc, report, results = evaluate(EXAMPLES / "variants" / "vulnerable-dependency")
    assert proc.returncode == 1 and report["decision"] == "fail"
    failed = [c for c, r in results.items() if r["status"] == "fail"]
    assert failed == ["GC-ART-005"]
    assert any("PYSEC-2024-60" in m for m in results["GC-ART-005"]["messages"])


def test_missing_security_approval_fails_the_approval_control() -> None:
    proc, report, results = evaluate(EXAMPLES / "variants" / "missing-security-approval")
    assert proc.returncode == 1
    assert results["GC-CHG-001"]["status"] == "fail"
    assert any("security" in m for m in results["GC-CHG-001"]["messages"])


def test_tampered_variant_is_an_error_naming_the_file() -> None:
    proc = run_gatecheck("evaluate", str(EXAMPLES / "variants" / "tampered"), *COMMON)
    assert proc.returncode == 2
    assert re.search(r"evidence/[0-9a-f]{64}\.json changed", proc.stderr)


@pytest.mark.parametrize("victim", ["manifest.json", "evidence"])
def test_one_changed_byte_anywhere_in_the_example_is_an_error(tmp_path: Path, victim: str) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "payments-api-1.4.0", bundle)
    target = (
        bundle / victim if victim == "manifest.json" else sorted((bundle / victim).iterdir())[3]
    )
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    proc = run_gatecheck("evaluate", str(bundle), *COMMON)
    assert proc.returncode == 2
    assert (victim if victim == "manifest.json" else target.name) in proc.stderr


def test_the_bundle_seals_the_attestations_of_the_readable_evidence() -> None:
    from gatecheck.evidence.interface import Document
    from gatecheck.evidence.signing import attestation

    manifest = json.loads((EXAMPLES / "payments-api-1.4.0" / "manifest.json").read_text())
    signed = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p
        for folder in (EXAMPLES / "attestations", EXAMPLES / "evidence")
        for p in folder.iterdir()
    }
    for entry in manifest["evidence"]:
        source = signed.get(entry["sha256"])
        assert source is not None and source.name == entry["source_name"], entry
        if entry["type"] in ("signature", "provenance"):
            continue  # verified against params.trusted_signers (GC-ART-002 / GC-ART-007)
        att = attestation.read(Document.from_path(source))
        assert att is not None and att.evidence_type == entry["type"], entry
        original = EXAMPLES / "evidence" / source.name.removesuffix(".dsse.json")
        doc = Document.from_path(original)
        if att.record or att.inner.name.endswith("#scanner.result"):
            assert att.inner.json_object() == doc.structured, entry
        elif att.inner.name.endswith("#predicate"):
            assert att.inner.json_object() == doc.json_object(), entry  # the CycloneDX SBOM
        else:
            assert att.inner.raw == doc.raw, entry  # tool output, byte for byte


def test_only_public_keys_are_shipped() -> None:
    for key in (EXAMPLES / "keys").iterdir():
        text = key.read_text()
        assert text.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in text, key


def test_example_renders_in_every_format(tmp_path: Path) -> None:
    from test_formats import sarif_validator

    from gatecheck.engine.formats import FORMATS

    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in FORMATS}
    summary = tmp_path / "step-summary.md"
    proc = run_gatecheck(
        "evaluate",
        str(EXAMPLES / "payments-api-1.4.0"),
        *COMMON,
        "--format",
        "github",
        *[a for fmt, path in outputs.items() for a in ("--output", f"{fmt}={path}")],
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(outputs["json"].read_text())
    controls = [r["control"] for r in report["results"]]

    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    cases = [
        case for suite in junitparser.JUnitXml.fromfile(str(outputs["junit"])) for case in suite
    ]
    # The example's config sets its own deployment windows (laxer than the library's
    # default): one testcase says so and where it came from, the others are the controls.
    policy = [case for case in cases if case.classname.endswith(".policy")]
    assert len(policy) == 1 and "deployment_windows" in (policy[0].system_out or "")
    assert "gatecheck.yaml (--config)" in (policy[0].system_out or "")
    assert sorted(c.name.split()[0] for c in cases if c not in policy) == sorted(controls)

    sarif = json.loads(outputs["sarif"].read_text())
    assert not list(sarif_validator().iter_errors(sarif))
    assert {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]} >= set(controls)

    html = outputs["html"].read_text()
    assert all(control in html for control in controls)
    assert "<script src=" not in html and "<link " not in html  # self-contained

    assert all(control in outputs["markdown"].read_text() for control in controls)
    assert "PASS" in outputs["text"].read_text().splitlines()[0]
    assert "pass" in summary.read_text().lower()
