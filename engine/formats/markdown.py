"""Markdown for pull-request comments, job summaries and wikis: decision and counts, then each
finding with its evidence and fix, then every control in one table."""

from __future__ import annotations

from typing import Any

from gatecheck.engine.formats._common import (
    DECISION_TEXT,
    STATUS_LABEL,
    auth_approvals,
    auth_evidence,
    authenticity,
    authenticity_summary,
    config_sources,
    control_doc,
    findings,
    ordered_results,
    ref_text,
    release_label,
    value_text,
    weakened,
    weakened_subject,
    weakened_title,
)

_ICON = {
    "pass": "✅",
    "fail": "❌",
    "warn": "⚠️",
    "waived": "🟦",
    "not_applicable": "➖",
    "error": "⛔",
    "rollback": "⏪",
}
MAX_REFS = 10
MAX_FINDINGS = 20  # per control: job summaries and comments have size limits


def cell(text: Any) -> str:
    """Text safe inside a table cell: one line, pipes and HTML-special characters escaped."""
    value = " ".join(str(text).split())
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        value = value.replace(char, escaped)
    return value


def code(text: Any) -> str:
    value = " ".join(str(text).split()).replace("`", "'")
    return f"`{value}`"


def _facts(report: dict[str, Any]) -> list[str]:
    release = report.get("release") or {}
    engine = report.get("engine") or {}
    rows = [
        ("Release", code(release_label(report))),
        ("Class / risk", cell(f"{release.get('class') or '-'} / {release.get('risk') or '-'}")),
        ("Change", cell(release.get("change_id") or "-")),
        ("Stage", code(report.get("stage"))),
        ("Effective time", cell(report.get("effective_time"))),
        ("Bundle digest", code(report.get("bundle_digest"))),
        ("Policy digest", code(report.get("policy_digest"))),
        ("Engine", cell(f"{engine.get('backend')} (OPA {engine.get('opa_version')})")),
        ("gatecheck", cell(report.get("gatecheck_version"))),
    ]
    signature = report.get("signature")
    if isinstance(signature, dict) and signature.get("status"):
        rows.append(("Signature", cell(signature["status"])))
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return lines


def _weakening(report: dict[str, Any], h: str) -> list[str]:
    """A warning block right under the decision: what the configuration relaxed, and from where."""
    lines = []
    items = weakened(report)
    if items:
        title = weakened_title(report)
        lines += [
            "> [!WARNING]",
            f"> **{cell(title[0].upper() + title[1:])}.**",
            "",
            f"{h}# Policy against the library defaults at {code(report.get('stage'))}",
            "",
            "| Direction | Control / parameter | Value | Library default | Source |",
            "|---|---|---|---|---|",
        ]
        for item in items:
            lines.append(
                f"| **{cell(item.get('direction'))}** | {code(weakened_subject(item))} "
                f"| {code(value_text(item.get('value'), 200))} "
                f"| {code(value_text(item.get('default'), 200))} | {cell(item.get('source'))} |"
            )
        lines.append("")
    sources = config_sources(report)
    if sources:
        lines += ["Configuration from: " + "; ".join(code(s) for s in sources) + ".", ""]
    return lines


def _authenticity(report: dict[str, Any], h: str) -> list[str]:
    """Who vouched for each evidence file and each approval (nothing for older reports)."""
    if authenticity(report) is None:
        return []
    lines = [f"{h}# Who vouched for what", "", cell(authenticity_summary(report)) + ".", ""]
    files = auth_evidence(report)
    if files:
        lines += [
            "| Evidence file | Type | Name | Vouched for by | Identity | Facts |",
            "|---|---|---|---|---|---|",
        ]
        for item in files:
            if item.get("authenticated") is True:
                who, identity = cell(item.get("producer") or "-"), code(item.get("identity"))
            else:
                who = "**unauthenticated**" + (
                    f": {cell(item['reason'])}" if item.get("reason") else ""
                )
                identity = "-"
            facts = "**excluded**" if item.get("excluded") else "counted"
            lines.append(
                f"| {code(item.get('path'))} | {cell(item.get('type') or '-')} "
                f"| {cell(item.get('name') or '-')} | {who} | {identity} | {facts} |"
            )
        lines.append("")
    approvals = auth_approvals(report)
    if approvals:
        lines += [
            "| Approval | Decision | Person | Directory roles | Identity | File |",
            "|---|---|---|---|---|---|",
        ]
        for item in approvals:
            identity = (
                code(item.get("identity"))
                if item.get("authenticated") is True and item.get("identity")
                else "**unauthenticated**"
            )
            where = f"{item.get('path')}#{item.get('pointer') or ''}".rstrip("#")
            lines.append(
                f"| {cell(item.get('kind') or '-')} | {cell(item.get('decision') or '-')} "
                f"| {cell(item.get('person') or '-')} "
                f"| {cell(', '.join(map(str, item.get('roles') or [])) or '-')} "
                f"| {identity} | {code(where)} |"
            )
        lines.append("")
    return lines


def render(
    report: dict[str, Any],
    *,
    catalog: dict[str, dict[str, Any]] | None = None,
    heading_level: int = 2,
    **_: Any,
) -> str:
    h = "#" * heading_level
    decision = report["decision"]
    lines = [
        f"{h} {_ICON.get(decision, '')} gatecheck: {decision.upper()} for "
        f"{code(release_label(report))} at {code(report.get('stage'))}",
        "",
        DECISION_TEXT.get(decision, ""),
        "",
    ]
    if decision == "error":
        lines += [f"**Error:** {cell(report.get('error'))}", ""]
    else:
        summary = report.get("summary") or {}
        lines += [
            "| ✅ pass | ❌ fail | ⚠️ warn | 🟦 waived | ➖ n/a | total |",
            "|---|---|---|---|---|---|",
            "| "
            + " | ".join(
                str(summary.get(k, 0))
                for k in ("pass", "fail", "warn", "waived", "not_applicable", "total")
            )
            + " |",
            "",
        ]
        if report.get("auto_approved"):
            lines += ["Auto-approved: standard low-risk change from a pre-approved template.", ""]
    lines += _weakening(report, h)
    lines += _facts(report) + [""]
    results = ordered_results(report)
    attention = [r for r in results if r["status"] in ("fail", "warn", "waived")]
    if attention:
        lines += [f"{h}# Findings", ""]
    for result in attention:
        status = result["status"]
        lines += [
            f"{h}## {_ICON[status]} {STATUS_LABEL[status]} {result['control']}: "
            f"{cell(result['title'])}",
            "",
            f"Severity **{result['severity']}**, enforcement **{result.get('enforcement')}**.",
            "",
        ]
        items = findings(result)
        for kind, message, refs in items[:MAX_FINDINGS]:
            lines.append(f"- {'*waived:* ' if kind == 'waived' else ''}{cell(message)}")
            for ref in refs[:MAX_REFS]:
                lines.append(f"  - evidence {code(ref_text(ref))}")
            if len(refs) > MAX_REFS:
                lines.append(f"  - and {len(refs) - MAX_REFS} more evidence references")
        if len(items) > MAX_FINDINGS:
            lines.append(f"- and {len(items) - MAX_FINDINGS} more findings (see the full report)")
        remediation = control_doc(result, catalog)["remediation"]
        if remediation and status in ("fail", "warn"):
            lines += ["", f"**Fix:** {cell(remediation)}"]
        lines.append("")
    lines += _authenticity(report, h)
    if results:
        lines += [
            f"{h}# All controls",
            "",
            "| Status | Control | Title | Severity | Enforcement |",
            "|---|---|---|---|---|",
        ]
        for result in results:
            status = result["status"]
            lines.append(
                f"| {_ICON.get(status, '')} {STATUS_LABEL.get(status, status)} "
                f"| {result['control']} | {cell(result['title'])} | {result['severity']} "
                f"| {result.get('enforcement')} |"
            )
        lines.append("")
    waivers = report.get("waivers") or {}
    rows = [("applied", w) for w in waivers.get("applied", [])]
    rows += [("expired (ignored)", w) for w in waivers.get("expired", [])]
    if rows:
        lines += [
            f"{h}# Waivers",
            "",
            "| State | Control | Justification | Approver | Expires |",
            "|---|---|---|---|---|",
        ]
        for state, waiver in rows:
            lines.append(
                f"| {state} | {cell(waiver.get('control'))} | {cell(waiver.get('justification'))} "
                f"| {cell(waiver.get('approver'))} | {cell(waiver.get('expires'))} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
