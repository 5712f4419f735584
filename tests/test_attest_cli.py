"""`gatecheck attest` and `gatecheck approve` through the CLI: what they write is what
`bundle add` accepts and `evaluate` attributes to the producer or approver who signed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATA, run_gatecheck

GOV = DATA / "governance"
MANIFEST = GOV / "release-manifest.yaml"  # payments-api 2.4.0, major, CHG0031337
AT = "2026-03-03T10:00:00Z"
EVALUATE_AT = "2026-03-04T10:00:00Z"


def _ok(proc) -> None:  # noqa: ANN001 - CompletedProcess
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("keys")
    for name in ("ci", "change", "owner", "security"):
        _ok(run_gatecheck("keys", "generate", "-o", str(root / name)))
    (root / "gatecheck.yaml").write_text(
        "trust:\n"
        "  producers:\n"
        "    ci-build: {types: [sbom], keys: [{path: ci.pub}]}\n"
        "    change-system: {types: [release-manifest, change-record], keys: [{path: change.pub}]}\n"
        "  people:\n"
        "    - {id: snakamura, roles: [service-owner], keys: [{path: owner.pub}],"
        " aliases: [s.nakamura@example.org]}\n"
        "    - {id: rhaddad, roles: [security], keys: [{path: security.pub}],"
        " aliases: [r.haddad@example.org]}\n"
    )
    return root


def _attest(keys: Path, out: Path, file: Path, evidence_type: str, signer: str) -> Path:
    _ok(
        run_gatecheck(
            "attest", str(file), "--type", evidence_type, "--release-manifest", str(MANIFEST),
            "--sign-key", str(keys / f"{signer}.key"), "--at", AT, "-o", str(out),
        )
    )  # fmt: skip
    return out


def _approve(keys: Path, out: Path, signer: str, *extra: str) -> Path:
    _ok(
        run_gatecheck(
            "approve", "--release", "payments-api@2.4.0", "--change", "CHG0031337",
            "--decision", "approved", "--type", "cab", "--release-manifest", str(MANIFEST),
            "--sign-key", str(keys / f"{signer}.key"), "--at", AT, "-o", str(out), *extra,
        )
    )  # fmt: skip
    return out


def _evaluate(keys: Path, tmp_path: Path, files: list[Path]) -> dict:
    bundle = tmp_path / "bundle"
    _ok(run_gatecheck("bundle", "init", str(bundle), "--release", "payments-api@2.4.0"))
    _ok(run_gatecheck("bundle", "add", str(bundle), *map(str, files)))
    _ok(run_gatecheck("bundle", "seal", str(bundle)))
    proc = run_gatecheck(
        "evaluate", str(bundle), "--stage", "production", "--config",
        str(keys / "gatecheck.yaml"), "--at", EVALUATE_AT, "--format", "json",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _status(report: dict, control: str) -> str:
    return next(r["status"] for r in report["results"] if r["control"] == control)


def test_approvals_signed_by_the_approvers_satisfy_the_cab_quorum(
    keys: Path, tmp_path: Path
) -> None:
    files = [
        _attest(keys, tmp_path / "release.att.json", MANIFEST, "release-manifest", "change"),
        _attest(keys, tmp_path / "change.att.json", GOV / "change-record-major.yaml",
                "change-record", "change"),
        _approve(keys, tmp_path / "owner.json", "owner"),
        _approve(keys, tmp_path / "security.json", "security"),
    ]  # fmt: skip
    report = _evaluate(keys, tmp_path, files)
    assert _status(report, "GC-CHG-001") == "pass"
    people = {(a["person"], tuple(a["roles"])) for a in report["authenticity"]["approvals"]}
    assert people == {("snakamura", ("service-owner",)), ("rhaddad", ("security",))}
    assert all(e["authenticated"] for e in report["authenticity"]["evidence"])


def test_an_approval_signed_by_the_ci_key_is_excluded_and_named(keys: Path, tmp_path: Path) -> None:
    files = [
        _attest(keys, tmp_path / "release.att.json", MANIFEST, "release-manifest", "change"),
        _attest(keys, tmp_path / "change.att.json", GOV / "change-record-major.yaml",
                "change-record", "change"),
        _approve(keys, tmp_path / "owner.json", "owner"),
        _approve(keys, tmp_path / "ci.json", "ci"),
    ]  # fmt: skip
    report = _evaluate(keys, tmp_path, files)
    assert report["decision"] == "fail"
    assert _status(report, "GC-CHG-001") == "fail"
    evd = next(r for r in report["results"] if r["control"] == "GC-EVD-001")
    assert evd["status"] == "fail"
    assert any("not authorize for approval" in m and "ci.json" in m for m in evd["messages"])


def test_attest_refuses_a_file_that_is_not_of_the_type(keys: Path, tmp_path: Path) -> None:
    proc = run_gatecheck(
        "attest", str(DATA / "junit" / "jest-junit-2-passed.xml"), "--type", "sbom",
        "--subject", "app@sha256:" + "ab" * 32, "--sign-key", str(keys / "ci.key"),
        "-o", str(tmp_path / "out.json"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "not a supported sbom format" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--subject", "app@sha256:" + "ab" * 32], "--sign-key KEY or --sign sigstore"),
        (["--subject", "app@md5:00", "--sign-key", "K"], "is not sha256:<hex> or sha512:<hex>"),
        (["--sign-key", "K"], "--release-manifest FILE or --subject"),
    ],
)
def test_attest_usage_errors_are_one_line(
    keys: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [str(keys / "ci.key") if a == "K" else a for a in args]
    proc = run_gatecheck(
        "attest", str(GOV / "change-record-major.yaml"), "--type", "change-record", *args,
        "-o", str(tmp_path / "out.json"),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_approve_refuses_a_release_other_than_the_manifest(keys: Path, tmp_path: Path) -> None:
    proc = run_gatecheck(
        "approve", "--release", "payments-api@9.9.9", "--change", "CHG0031337",
        "--decision", "approved", "--release-manifest", str(MANIFEST),
        "--sign-key", str(keys / "owner.key"), "-o", str(tmp_path / "a.json"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "does not match the release manifest" in proc.stderr


def test_attested_scan_names_the_scanned_sbom_as_a_subject(keys: Path, tmp_path: Path) -> None:
    sbom = DATA / "sbom" / sorted(p.name for p in (DATA / "sbom").glob("*.json"))[0]
    out = tmp_path / "scan.att.json"
    _ok(
        run_gatecheck(
            "attest", str(DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json"),
            "--type", "vulnerability-scan", "--release-manifest", str(MANIFEST),
            "--scanned-sbom", str(sbom), "--sign-key", str(keys / "ci.key"), "-o", str(out),
        )
    )  # fmt: skip
    envelope = json.loads(out.read_text())
    import base64

    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == "https://cosign.sigstore.dev/attestation/vuln/v1"
    assert sbom.name in {s["name"] for s in statement["subject"]}
    assert statement["predicate"]["scanner"]["result"] == json.loads(
        (DATA / "vulnscan" / "pip-audit-2-vulns-with-desc.json").read_text()
    )


def test_bundle_add_with_config_says_who_vouched_for_each_file(keys: Path, tmp_path: Path) -> None:
    files = [
        _attest(keys, tmp_path / "release.att.json", MANIFEST, "release-manifest", "change"),
        _approve(keys, tmp_path / "owner.json", "owner"),
        _approve(keys, tmp_path / "ci.json", "ci"),
    ]
    bundle = tmp_path / "bundle"
    _ok(run_gatecheck("bundle", "init", str(bundle), "--release", "payments-api@2.4.0"))
    proc = run_gatecheck(
        "bundle", "add", str(bundle), *map(str, files), "--config", str(keys / "gatecheck.yaml")
    )
    assert proc.returncode == 0, proc.stderr
    assert "vouched for by change-system (key:" in proc.stdout
    assert "vouched for by snakamura (key:" in proc.stdout
    (warning,) = proc.stderr.splitlines()
    assert warning.startswith("gatecheck: warning: ci.json: signed by key:")
    assert "not authorize for approval evidence" in warning
