"""Plain text for terminals and CI logs: the decision and counts first, then what failed,
why, the evidence behind it and what to do."""

from __future__ import annotations

from typing import Any

_MARK = {
    "pass": "PASS",
    "fail": "FAIL",
    "warn": "WARN",
    "waived": "WAIVED",
    "not_applicable": "N/A",
}
_COLOR = {
    "pass": "32",
    "fail": "31",
    "warn": "33",
    "waived": "36",
    "not_applicable": "2",
    "error": "31",
    "rollback": "31",
}


def _paint(text: str, status: str, color: bool) -> str:
    return f"\033[{_COLOR.get(status, '0')}m{text}\033[0m" if color else text


def render(report: dict[str, Any], *, verbose: bool = False, color: bool = False, **_: Any) -> str:
    lines = []
    decision = report["decision"]
    release = report.get("release") or {}
    name = f"{release.get('name')}@{release.get('version')}" if release else "(unknown release)"
    lines.append(
        f"gatecheck: {_paint(decision.upper(), decision, color)}  {name}  stage={report['stage']}  "
        f"at={report['effective_time']}"
    )
    if decision == "error":
        lines.append(f"  error: {report.get('error')}")
        return "\n".join(lines) + "\n"
    summary = report.get("summary") or {}
    counts = ", ".join(
        f"{summary.get(k, 0)} {k.replace('_', ' ')}"
        for k in ("pass", "fail", "warn", "waived", "not_applicable")
    )
    lines.append(f"  controls: {counts}")
    if report.get("auto_approved"):
        lines.append("  auto-approved: standard low-risk change from a pre-approved template")
    engine = report.get("engine") or {}
    lines.append(
        f"  bundle {report.get('bundle_digest')}  policy {report.get('policy_digest')}  "
        f"engine {engine.get('backend')} (OPA {engine.get('opa_version')})"
    )
    shown = (
        ("fail", "warn", "waived")
        if not verbose
        else ("fail", "warn", "waived", "not_applicable", "pass")
    )
    for status in shown:
        for result in (r for r in report["results"] if r["status"] == status):
            lines.append("")
            lines.append(
                f"{_paint(_MARK[status], status, color)} {result['control']} "
                f"{result['title']} [{result['severity']}]"
            )
            for message in result["messages"]:
                lines.append(f"  - {message}")
            for ref in result["evidence"][:10]:
                pointer = f" {ref['pointer']}" if ref.get("pointer") else ""
                lines.append(f"    evidence: {ref['path']}{pointer}")
            if status == "fail" and result.get("remediation"):
                lines.append(f"  fix: {result['remediation']}")
    waivers = report.get("waivers") or {}
    for waiver in waivers.get("expired", []):
        lines.append(
            f"\nexpired waiver ignored: {waiver['control']} (expired {waiver['expires']}, "
            f"approved by {waiver['approver']})"
        )
    return "\n".join(lines) + "\n"
