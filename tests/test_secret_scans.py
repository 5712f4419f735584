"""Secret-scan evidence (gitleaks JSON, Trivy secret results, SARIF from a secret scanner) and
the operations records (deployment locks, stabilization reviews, rollback histories), read by
the real parsers from real tool output (tests/data/secrets/SOURCES.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext

DATA = Path(__file__).resolve().parent / "data" / "secrets"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "evidence"
PLANTED = "b7Xq9Lm2Rt4Wz8Kp3Nv6Hy1Cs5Df0Gj7"


def read(path: Path, family: str | None = None) -> tuple[str, str, dict]:
    doc = Document.from_path(path)
    parser, fmt = registry.detect(doc, family)
    return parser.family, fmt, registry.parse(doc, parser.family, fmt, ParseContext())


def test_gitleaks_report_is_detected_and_read_without_the_secret() -> None:
    family, fmt, facts = read(DATA / "gitleaks-8.30.1-dir-generic-api-key.json")
    assert (family, fmt) == ("secret-scan", "gitleaks-json")
    assert facts["complete"] is True
    [finding] = facts["findings"]
    assert finding["rule_id"] == "generic-api-key"
    assert finding["file"] == "src/payments_api/settings.py"
    assert finding["line"] == 4
    assert finding["fingerprint"] == "src/payments_api/settings.py:generic-api-key:4"
    assert PLANTED not in json.dumps(facts)


def test_a_finding_without_file_or_line_is_named_without_none(tmp_path: Path) -> None:
    """SARIF makes a result's locations optional; gitleaks' own SARIF, stripped of them."""
    log = json.loads((DATA / "gitleaks-8.30.1-dir-generic-api-key.sarif").read_text())
    for result in log["runs"][0]["results"]:
        result.pop("locations", None)
    path = tmp_path / "gitleaks.sarif"
    path.write_text(json.dumps(log))
    [finding] = read(path, "secret-scan")[2]["findings"]
    assert (finding["file"], finding["line"]) == (None, None)
    assert finding["fingerprint"] == "-:generic-api-key:-"


def test_clean_gitleaks_report_has_no_findings() -> None:
    _, _, facts = read(DATA / "gitleaks-8.30.1-dir-clean.json", "secret-scan")
    assert facts["findings"] == [] and facts["complete"] is True


def test_trivy_report_is_a_vulnerability_scan_unless_added_as_a_secret_scan() -> None:
    family, _, _ = read(DATA / "trivy-repo-secrets.json")
    assert family == "vulnerability-scan"
    _, fmt, facts = read(DATA / "trivy-repo-secrets.json", "secret-scan")
    assert fmt == "trivy-secrets-json"
    assert [(f["rule_id"], f["file"], f["line"], f["severity"]) for f in facts["findings"]] == [
        ("aws-access-key-id", "deploy.sh", 3, "critical"),
        ("mysecret", "deploy.sh", 7, "high"),
    ]
    assert facts["timestamp"] == "2021-08-25T12:20:30Z"
    assert "ghp_0123456789" not in json.dumps(facts)


def test_trivy_secret_the_user_suppressed_is_still_a_finding(tmp_path: Path) -> None:
    report = json.loads((DATA / "trivy-repo-secrets.json").read_text())
    result = report["Results"][0]
    secret = result["Secrets"].pop(0)
    result["ModifiedFindings"] = [
        {
            "Type": "secret",
            "Status": "ignored",
            "Statement": "test key",
            "Source": ".trivyignore",
            "Finding": secret,
        }
    ]
    path = tmp_path / "trivy.json"
    path.write_text(json.dumps(report))
    _, _, facts = read(path, "secret-scan")
    suppressed = [f for f in facts["findings"] if f["suppressed_by_tool"]]
    assert [f["rule_id"] for f in suppressed] == ["aws-access-key-id"]
    assert suppressed[0]["pointer"] == "/Results/0/ModifiedFindings/0/Finding"


def test_gitleaks_sarif_read_as_a_secret_scan() -> None:
    family, _, _ = read(DATA / "gitleaks-8.30.1-dir-generic-api-key.sarif")
    assert family == "sast"
    _, fmt, facts = read(DATA / "gitleaks-8.30.1-dir-generic-api-key.sarif", "secret-scan")
    assert fmt == "sarif-secrets"
    assert facts["scanner"]["name"] == "gitleaks"
    assert [(f["rule_id"], f["file"], f["line"]) for f in facts["findings"]] == [
        ("generic-api-key", "src/payments_api/settings.py", 4)
    ]
    assert PLANTED not in json.dumps(facts)


def test_sarif_run_without_results_is_an_incomplete_secret_scan(tmp_path: Path) -> None:
    log = json.loads((DATA / "gitleaks-8.30.1-dir-generic-api-key.sarif").read_text())
    del log["runs"][0]["results"]
    path = tmp_path / "gitleaks.sarif"
    path.write_text(json.dumps(log))
    _, _, facts = read(path, "secret-scan")
    assert facts["complete"] is False
    assert "results not computed" in facts["issues"][0]


@pytest.mark.parametrize(
    "content", ['[{"RuleID": "x"}]', '[{"RuleID": "", "Fingerprint": "f"}]', '{"a": 1}']
)
def test_malformed_secret_scan_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "scan.json"
    path.write_text(content)
    with pytest.raises(EvidenceError):
        read(path, "secret-scan")


def test_real_gitleaks_finds_a_planted_secret(tmp_path: Path) -> None:
    gitleaks = shutil.which("gitleaks") or str(Path.home() / "go" / "bin" / "gitleaks")
    if not Path(gitleaks).exists():
        pytest.skip(
            "gitleaks is not installed (go install github.com/zricethezav/gitleaks/v8@v8.30.1)"
        )
    src = tmp_path / "src"
    src.mkdir()
    (src / "settings.py").write_text(f'LEDGER_API_KEY = "{PLANTED}"\n')
    report = tmp_path / "gitleaks.json"
    proc = subprocess.run(
        [
            gitleaks,
            "dir",
            str(src),
            "--no-banner",
            "--report-format",
            "json",
            "--report-path",
            str(report),
        ],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 1  # leaks found
    _, fmt, facts = read(report)
    assert fmt == "gitleaks-json"
    assert [f["rule_id"] for f in facts["findings"]] == ["generic-api-key"]


# -- operations records ------------------------------------------------------------------------


def test_example_deployment_lock_list_gives_one_fact_per_lock() -> None:
    family, fmt, facts = read(EXAMPLE / "deployment-locks.json")
    assert (family, fmt) == ("deployment-lock", "gatecheck-deployment-lock")
    assert [f["holder"]["run_id"] for f in facts] == ["9377", "9412"]
    assert [f["pointer"] for f in facts] == ["/locks/0", "/locks/1"]


def test_example_rollback_history_is_read() -> None:
    family, _, facts = read(EXAMPLE / "rollback-history.json")
    assert family == "rollback-history"
    assert facts["rollbacks"][0]["root_cause"]["changed"][0] == "GC-TST-003"


def test_audit_log_deployment_events_name_their_change_and_environment() -> None:
    _, _, facts = read(EXAMPLE / "pipeline-audit-log.json")
    assert facts["release"] == {"name": "payments-api", "version": "1.4.0"}
    deploy = next(e for e in facts["events"] if e["action"] == "deploy.staging")
    assert (deploy["change_id"], deploy["environment"]) == ("CHG0041702", "staging")
    assert facts["chain_valid"] is True


def test_stabilization_review_refuses_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "review.json"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "gatecheck.dev/v1",
                "kind": "StabilizationReview",
                "reviewd": ["dashboards"],
            }
        )
    )
    with pytest.raises(EvidenceError, match="reviewd"):
        read(path)


def test_rollback_history_that_leaves_out_its_rollbacks_is_refused(tmp_path: Path) -> None:
    history = json.loads((EXAMPLE / "rollback-history.json").read_text())
    del history["rollbacks"]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history))
    with pytest.raises(EvidenceError, match="rollbacks"):
        read(path)


def test_empty_array_is_a_secret_scan_only_when_declared_one() -> None:
    with pytest.raises(EvidenceError, match="unknown evidence format"):
        read(DATA / "gitleaks-8.30.1-dir-clean.json")
    assert read(DATA / "gitleaks-8.30.1-dir-clean.json", "secret-scan")[1] == "gitleaks-json"
