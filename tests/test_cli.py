"""The command line as pipelines use it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DIGEST, make_bundle, run_gatecheck


def assert_one_line_error(proc, fragment: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("gatecheck: error:")]
    assert errors, proc.stderr
    assert fragment in errors[0], errors[0]


def test_bundle_workflow_through_the_cli(tmp_path: Path, cyclonedx_sbom: Path) -> None:
    bundle = tmp_path / "b"
    proc = run_gatecheck(
        "bundle",
        "init",
        str(bundle),
        "--release",
        "payments-api@1.4.0",
        "--class",
        "major",
        "--artifact",
        f"payments-api@{DIGEST}",
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_gatecheck("bundle", "add", str(bundle), str(cyclonedx_sbom))
    assert proc.returncode == 0 and "sbom/cyclonedx-json" in proc.stdout
    assert run_gatecheck("bundle", "seal", str(bundle)).returncode == 0
    proc = run_gatecheck("bundle", "verify", str(bundle))
    assert proc.returncode == 0 and "verified" in proc.stdout
    archive = tmp_path / "b.tar.gz"
    assert run_gatecheck("bundle", "pack", str(bundle), "-o", str(archive)).returncode == 0
    assert run_gatecheck("bundle", "verify", str(archive)).returncode == 0


def test_evaluate_json_report_has_the_contract_fields(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    out = tmp_path / "report.json"
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        "--stage",
        "dev",
        "--at",
        "2026-01-15T10:00:00Z",
        "--format",
        "json",
        "--output",
        f"json={out}",
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == report
    for key in (
        "decision",
        "stage",
        "effective_time",
        "release",
        "bundle_digest",
        "policy_digest",
        "engine",
        "results",
        "summary",
        "waivers",
    ):
        assert key in report
    assert report["effective_time"] == "2026-01-15T10:00:00Z"
    assert report["engine"]["backend"] == "embedded"
    for result in report["results"]:
        assert {"control", "title", "severity", "status", "messages", "evidence"} <= result.keys()
        assert result["status"] in {"pass", "fail", "warn", "waived", "not_applicable"}
    assert report["summary"]["total"] == len(report["results"])


def test_unclassified_release_fails_naming_the_control(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", release_class=None)
    proc = run_gatecheck("evaluate", str(bundle), "--stage", "dev", "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    rel = next(r for r in report["results"] if r["control"] == "GC-REL-001")
    assert rel["status"] == "fail"
    assert rel["evidence"][0]["path"].startswith("evidence/")


def test_changed_byte_is_an_error_naming_the_file(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    release = next((bundle / "evidence").iterdir())
    data = bytearray(release.read_bytes())
    data[3] ^= 0x20
    release.write_bytes(bytes(data))
    proc = run_gatecheck("evaluate", str(bundle), "--stage", "production")
    assert_one_line_error(proc, f"evidence/{release.name} changed")
    assert "ERROR" in proc.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["evaluate", "/nonexistent/bundle", "--stage", "production"], "no such bundle"),
        (["bundle", "verify", "/nonexistent"], "no such bundle"),
        (["bundle", "init", "{tmp}/x", "--release", "no-version"], "NAME@VERSION"),
        (
            ["bundle", "init", "{tmp}/x", "--release", "a@1.0.0", "--artifact", "a@sha256:12"],
            "64 hex",
        ),
        (["bundle", "add", "{tmp}/missing", "{tmp}/f.json"], "no such bundle directory"),
        (["evaluate", "{bundle}", "--stage", "production", "--at", "yesterday"], "RFC 3339"),
        (
            ["evaluate", "{bundle}", "--stage", "production", "--at", "2026-01-01T00:00:00"],
            "no timezone",
        ),
        (
            ["evaluate", "{bundle}", "--stage", "production", "--config", "{tmp}/nope.yaml"],
            "cannot be read",
        ),
        (["evaluate", "{bundle}", "--stage", "production", "--engine", "server"], "--opa-url"),
        (
            ["evaluate", "{bundle}", "--stage", "production", "--policy", "{tmp}/nodir"],
            "does not exist",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    bundle = make_bundle(tmp_path / "b")
    (tmp_path / "f.json").write_text("{}")
    proc = run_gatecheck(*[a.format(tmp=tmp_path, bundle=bundle) for a in args])
    assert_one_line_error(proc, fragment)


def test_invalid_config_is_an_error_not_a_pass(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    config = tmp_path / "gatecheck.yaml"
    config.write_text(
        "waivers:\n  - control: GC-REL-001\n    scope: {release: payments-api}\n"
        "    justification: x\n    approver: y\n"
    )
    proc = run_gatecheck("evaluate", str(bundle), "--stage", "production", "--config", str(config))
    assert_one_line_error(proc, "waivers.0.granted")


def test_usage_errors_exit_2() -> None:
    proc = run_gatecheck("evaluate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_gatecheck("evaluate", "x", "--stage", "prod")
    assert proc.returncode == 2


def test_policy_test_runs_the_library() -> None:
    proc = run_gatecheck("policy", "test")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert " passed, 0 failed" in proc.stdout


def test_policy_test_reports_a_failing_org_test(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "acme_test.rego").write_text(
        "package acme_test\n\nimport rego.v1\n\ntest_good if { 1 == 1 }\n\ntest_bad if { 1 == 2 }\n"
    )
    proc = run_gatecheck("policy", "test", str(org))
    assert proc.returncode == 1
    assert "FAIL  data.acme_test.test_bad" in proc.stdout
    assert "1 passed, 1 failed" in proc.stdout


def test_schema_prints_the_bundle_manifest_schema() -> None:
    proc = run_gatecheck("schema", "bundle-manifest")
    assert proc.returncode == 0
    assert "evidence" in json.loads(proc.stdout)["properties"]
