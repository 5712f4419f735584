"""Who vouched for what: every format renders the report's ``authenticity`` block (per
evidence file the producer or why it is unauthenticated, per approval the canonical person and
directory roles), and reports without it render as before."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from formats_support import realistic
from test_formats import sarif_validator

from gatecheck.engine.formats import FORMATS, render

ACTIONS = {"GITHUB_ACTIONS": "true"}
CI_KEY = "key:" + "c7" * 32
ALICE_KEY = "key:" + "a1" * 32
HOSTILE = "signature by <script>alert(1)</script> \x1b[31mkey\x1b[0m unknown"


@pytest.fixture(scope="module")
def made() -> tuple[dict[str, Any], Path, dict[str, dict[str, Any]]]:
    return realistic()


@pytest.fixture(scope="module")
def vouched(made) -> dict[str, Any]:
    """The realistic report with an authenticity block over its own evidence files: the first
    authenticated by the CI key, the second by Sigstore, the third unsigned (facts excluded),
    the fourth signed by an unknown key (counted: a report from a stage that does not require
    authentication would say so; here it documents both renderings)."""
    report = copy.deepcopy(made[0])
    files = report["bundle"]["evidence"]
    assert len(files) >= 4
    evidence = [
        {
            "path": files[0]["path"],
            "type": files[0]["type"],
            "name": "bom.json",
            "authenticated": True,
            "producer": "ci-build",
            "identity": CI_KEY,
            "reason": None,
            "excluded": False,
        },
        {
            "path": files[1]["path"],
            "type": files[1]["type"],
            "name": "coverage.json",
            "authenticated": True,
            "producer": "ci-test",
            "identity": "sigstore:https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main"
            " (https://token.actions.githubusercontent.com)",
            "reason": None,
            "excluded": False,
        },
        {
            "path": files[2]["path"],
            "type": files[2]["type"],
            "name": "semgrep.sarif",
            "authenticated": False,
            "producer": None,
            "identity": None,
            "reason": "not signed: no attestation wraps it",
            "excluded": True,
        },
        {
            "path": files[3]["path"],
            "type": files[3]["type"],
            "name": "pip-audit.json",
            "authenticated": False,
            "producer": None,
            "identity": None,
            "reason": HOSTILE,
            "excluded": False,
        },
    ]
    approvals = [
        {
            "path": "evidence/approvals.json",
            "pointer": "/0",
            "kind": "cab",
            "decision": "approved",
            "person": "alice",
            "roles": ["security", "service-owner"],
            "identity": ALICE_KEY,
            "authenticated": True,
        },
        {
            "path": "evidence/approvals.json",
            "pointer": "/1",
            "kind": "cab",
            "decision": "approved",
            "person": None,
            "roles": [],
            "identity": None,
            "authenticated": False,
        },
    ]
    report["authenticity"] = {"required": True, "evidence": evidence, "approvals": approvals}
    return report


def test_text_is_one_summary_line_plus_unauthenticated_files_and_approvals(vouched) -> None:
    out = render(vouched, "text")
    head = out.split("\n\n", 1)[0]  # before any control's findings
    assert (
        "  2 of 4 evidence files authenticated (required at production; facts of 1 excluded)"
        in head
    )
    lines = head.splitlines()
    unauth = [line for line in lines if line.startswith("    - evidence/")]
    assert len(unauth) == 2
    assert "semgrep.sarif" in unauth[0] and "not signed: no attestation wraps it" in unauth[0]
    assert unauth[0].endswith("facts excluded")
    assert "\x1b" not in out and "\\x1b[31m" in unauth[1]  # hostile text made printable
    # Authenticated files are counted, not listed (the other formats have them all).
    assert "bom.json" not in head and "ci-build" not in head
    approvals = [line for line in lines if line.startswith("  approval: ")]
    assert approvals[0] == (
        f"  approval: cab approved by alice [security, service-owner], signed {ALICE_KEY[:20]}..."
    )
    assert "unauthenticated" in approvals[1] and "unknown person" in approvals[1]


def test_json_is_the_report_itself(vouched) -> None:
    assert json.loads(render(vouched, "json"))["authenticity"] == vouched["authenticity"]


def test_junit_carries_the_unauthenticated_files_and_the_approvals_as_properties(vouched) -> None:
    root = ET.fromstring(render(vouched, "junit").encode("utf-8"))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["authenticity"].startswith("2 of 4 evidence files authenticated")
    assert "semgrep.sarif" in props["unauthenticated.1"]
    assert props["unauthenticated.1"].endswith("facts excluded")
    assert "pip-audit.json" in props["unauthenticated.2"]
    assert "unauthenticated.3" not in props
    assert "alice [security, service-owner]" in props["approval.1"]
    assert ALICE_KEY in props["approval.1"]
    assert "unauthenticated" in props["approval.2"]


def test_sarif_marks_each_evidence_artifact_and_notifies_per_unauthenticated_file(
    vouched,
) -> None:
    log = json.loads(render(vouched, "sarif"))
    assert not list(sarif_validator().iter_errors(log))
    run = log["runs"][0]
    artifacts = {a["location"]["uri"]: a["properties"] for a in run["artifacts"]}
    first, third = vouched["authenticity"]["evidence"][0], vouched["authenticity"]["evidence"][2]
    assert artifacts[first["path"]]["producer"] == "ci-build"
    assert artifacts[first["path"]]["identity"] == CI_KEY
    assert artifacts[third["path"]]["authenticated"] is False
    assert artifacts[third["path"]]["excluded"] is True
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        third["path"],
        vouched["authenticity"]["evidence"][3]["path"],
    ]
    assert notes[0]["level"] == "error" and notes[1]["level"] == "warning"
    assert run["properties"]["authenticity"] == vouched["authenticity"]


def test_github_annotates_the_unauthenticated_files_once(vouched) -> None:
    out = render(vouched, "github", environ=ACTIONS)
    warnings = [line for line in out.splitlines() if "evidence files unauthenticated" in line]
    assert len(warnings) == 1
    assert "semgrep.sarif" in warnings[0] and "pip-audit.json" in warnings[0]
    assert "\n" not in warnings[0] and "%0A" in warnings[0]
    # Outside Actions: the text report, which has the summary line.
    assert "2 of 4 evidence files authenticated" in render(vouched, "github", environ={})


def test_markdown_has_a_table_of_every_file_and_every_approval(vouched) -> None:
    out = render(vouched, "markdown")
    section = out.split("## Who vouched for what", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `evidence/")]
    assert len(rows) == 4
    assert "| ci-build | `" + CI_KEY + "` | counted |" in rows[0]
    assert "**unauthenticated**: not signed: no attestation wraps it" in rows[2]
    assert rows[2].endswith("| **excluded** |")
    assert "&lt;script&gt;" in rows[3] and "<script>" not in section
    approval = [line for line in section.splitlines() if line.startswith("| cab ")]
    assert "| alice | security, service-owner | `" + ALICE_KEY + "` |" in approval[0]
    assert "**unauthenticated**" in approval[1]


def test_html_has_the_tables_and_escapes_the_reasons(vouched) -> None:
    out = render(vouched, "html")
    section = out.split('<h2 id="authenticity">', 1)[1].split("<h2>", 1)[0]
    assert section.count("<tr>") == 1 + 4 + 1 + 2  # header + files, header + approvals
    assert "ci-build" in section and CI_KEY in section
    assert "token.actions.githubusercontent.com" in section
    assert "not signed: no attestation wraps it" in section
    assert '<span class="unauth">excluded</span>' in section
    assert "alice" in section and "security, service-owner" in section
    assert "<script>alert" not in out and "&lt;script&gt;alert(1)" in section


def test_reports_without_authenticity_render_as_before(made) -> None:
    report = copy.deepcopy(made[0])
    for key in ("authenticity", "weakened", "config_sources"):
        report.pop(key, None)  # an older report has neither
    for fmt in FORMATS:
        out = render(report, fmt, environ=ACTIONS)
        assert "evidence files authenticated" not in out
        assert "policy weakened" not in out.lower() and "configuration from" not in out.lower()
    assert "unauthenticated" not in render(report, "sarif")
