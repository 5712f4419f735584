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
COMMON = ["--stage", "production", "--config", str(EXAMPLES / "gatecheck.yaml"), "--at", AT]


def evaluate(bundle: Path, *extra: str):
    proc = run_gatecheck("evaluate", str(bundle), *COMMON, "--format", "json", *extra)
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
    assert {r["status"] for r in results.values()} <= {"pass", "not_applicable"}
    assert len(results) >= 30  # the whole catalog applies to a major production release


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
    assert re.search(r"evidence/[0-9a-f]{64}\.xml changed", proc.stderr)


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


def test_the_readable_evidence_is_what_the_bundle_seals() -> None:
    manifest = json.loads((EXAMPLES / "payments-api-1.4.0" / "manifest.json").read_text())
    sources = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.name
        for p in (EXAMPLES / "evidence").iterdir()
    }
    for entry in manifest["evidence"]:
        if entry["type"] == "release-manifest":
            continue  # stored canonicalized from release-manifest.yaml
        assert sources.get(entry["sha256"]) == entry["source_name"], entry


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
    # The example's config trusts its signer and builder (laxer than the library's empty
    # lists): one testcase says so, the others are the controls.
    policy = [case for case in cases if case.classname.endswith(".policy")]
    assert len(policy) == 1 and "trusted_signers" in (policy[0].system_out or "")
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
