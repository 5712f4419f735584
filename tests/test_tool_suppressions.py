"""Tool-side suppressions are not waivers (GC-ART-005, GC-ART-006); a report that scanned no
packages is not a vulnerability scan (GC-ART-005); SARIF ``"runs": null`` is a failed analysis
(GC-ART-006). Each through ``gatecheck evaluate``.

Inputs are real scanner output from tests/data/vulnscan (sources in tests/data/SOURCES.md),
changed the way the scanner itself would write them: ``trivy --show-suppressed`` moves a
finding that ``.trivyignore`` names from ``Vulnerabilities`` to ``ExperimentalModifiedFindings``
(Trivy's ``pkg/types`` Result, JSON key ``ExperimentalModifiedFindings``, entries
``{Type, Status, Statement, Source, Finding}``); ``trivy fs --scanners secret`` writes results
of class ``secret`` only, with ``Secrets[]``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from helpers import make_bundle, run_gatecheck

from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext

DATA = Path(__file__).parent / "data" / "vulnscan"
TRIVY = "trivy-sbom-input-debian+gems-critical-high.json"
AT = "2021-08-25T18:00:00Z"  # six hours after the Trivy report's CreatedAt


def trivy_report() -> dict[str, Any]:
    return json.loads((DATA / TRIVY).read_text(encoding="utf-8"))


def trivyignored(report: dict[str, Any], vuln_id: str) -> dict[str, Any]:
    """The report as ``trivy --show-suppressed`` writes it when .trivyignore names vuln_id."""
    out = copy.deepcopy(report)
    for result in out["Results"]:
        for vuln in list(result.get("Vulnerabilities") or []):
            if vuln["VulnerabilityID"] == vuln_id:
                result["Vulnerabilities"].remove(vuln)
                result.setdefault("ExperimentalModifiedFindings", []).append(
                    {
                        "Type": "vulnerability",
                        "Status": "ignored",
                        "Statement": "no fix in buster",
                        "Source": ".trivyignore",
                        "Finding": vuln,
                    }
                )
    return out


def secrets_only(report: dict[str, Any]) -> dict[str, Any]:
    """The same target scanned with ``--scanners secret``: no package results at all."""
    out = {k: v for k, v in report.items() if k != "Results"}
    out["Results"] = [
        {
            "Target": "app/config.rb",
            "Class": "secret",
            "Secrets": [
                {
                    "RuleID": "aws-access-key-id",
                    "Category": "AWS",
                    "Severity": "CRITICAL",
                    "Title": "AWS Access Key ID",
                    "StartLine": 3,
                    "EndLine": 3,
                    "Match": "AWS_ACCESS_KEY_ID=********************",
                }
            ],
        }
    ]
    return out


def parse(obj: dict[str, Any]) -> dict[str, Any]:
    doc = Document(json.dumps(obj).encode(), "scan.json")
    parser, fmt = registry.detect(doc)
    return parser.parse(doc, fmt, ParseContext())


def test_trivyignored_finding_is_kept_and_marked() -> None:
    scan = parse(trivyignored(trivy_report(), "CVE-2019-18224"))
    (hidden,) = [v for v in scan["vulnerabilities"] if v["suppressed_by_tool"]]
    assert hidden["id"] == "CVE-2019-18224" and hidden["severity"] == "critical"
    assert hidden["package"]["name"] == "libidn2-0"
    assert hidden["pointer"] == "/Results/0/ExperimentalModifiedFindings/0/Finding"
    assert hidden["suppression_reason"] == (
        "trivy suppressed it: status ignored, statement no fix in buster, source .trivyignore"
    )
    assert {v["id"] for v in scan["vulnerabilities"]} == {
        "CVE-2019-18276",
        "CVE-2019-18224",
        "CVE-2020-8165",
    }


def test_suppressed_secrets_and_misconfigurations_are_not_vulnerabilities() -> None:
    report = trivy_report()
    report["Results"][0]["ExperimentalModifiedFindings"] = [
        {"Type": "secret", "Status": "ignored", "Source": ".trivyignore", "Finding": {}}
    ]
    assert len(parse(report)["vulnerabilities"]) == 3


def test_secrets_only_report_scanned_no_packages() -> None:
    assert parse(secrets_only(trivy_report()))["scanned_packages"] is False
    assert parse(trivy_report())["scanned_packages"] is True


def evaluate(tmp_path: Path, files: list[Path], stage: str = "staging") -> dict[str, Any]:
    bundle = make_bundle(tmp_path / "bundle", files)
    proc = run_gatecheck("evaluate", str(bundle), "--stage", stage, "--at", AT, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def control(report: dict[str, Any], control_id: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["control"] == control_id)


def write(tmp_path: Path, name: str, obj: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_gc_art_005_fails_a_critical_finding_trivy_was_told_to_ignore(tmp_path: Path) -> None:
    scan = write(tmp_path, "trivy.json", trivyignored(trivy_report(), "CVE-2019-18224"))
    art_005 = control(evaluate(tmp_path, [scan]), "GC-ART-005")
    assert art_005["status"] == "fail"
    (message,) = [m for m in art_005["messages"] if "CVE-2019-18224" in m]
    assert "critical severity" in message
    assert "the scanner was told to ignore it" in message and ".trivyignore" in message
    assert "not a gatecheck waiver" in message


def test_gc_art_005_fails_a_trivy_report_of_secrets_only(tmp_path: Path) -> None:
    scan = write(tmp_path, "trivy-secrets.json", secrets_only(trivy_report()))
    art_005 = control(evaluate(tmp_path, [scan]), "GC-ART-005")
    assert art_005["status"] == "fail"
    assert any(
        "scanned no packages" in m and "not a vulnerability scan" in m for m in art_005["messages"]
    ), art_005["messages"]


def test_gc_art_006_sarif_runs_null_is_a_failed_analysis(tmp_path: Path) -> None:
    """At staging GC-ART-006 is advisory, and unsigned evidence counts there; the finding is
    the same one that fails production (the Rego tests check it at production)."""
    log = write(
        tmp_path,
        "semgrep.sarif",
        {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": None,
        },
    )
    art_006 = control(evaluate(tmp_path, [log]), "GC-ART-006")
    assert art_006["status"] == "warn"
    assert any('"runs": null' in m for m in art_006["messages"]), art_006
