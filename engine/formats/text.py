"""Plain text for terminals and CI logs: the decision and counts first, then what failed,
why, the evidence behind it and what to do. Colour only when asked (a terminal)."""

from __future__ import annotations

from typing import Any

from gatecheck.engine.formats._common import (
    DECISION_TEXT,
    STATUS_LABEL,
    approval_line,
    auth_approvals,
    auth_evidence,
    authenticity,
    authenticity_summary,
    config_sources,
    counts_line,
    evidence_label,
    findings,
    one_line,
    ordered_results,
    ref_text,
    release_label,
    vouched_by,
    weakened,
    weakened_line,
    weakened_title,
)

_COLOR = {
    "pass": "32",
    "fail": "31",
    "warn": "33",
    "waived": "36",
    "not_applicable": "2",
    "error": "31",
    "rollback": "31",
}
MAX_REFS = 5  # per finding; the JSON report has them all
MAX_FINDINGS = 10  # per control, without --verbose


def _paint(text: str, status: str, color: bool) -> str:
    return f"\033[{_COLOR.get(status, '0')}m{text}\033[0m" if color else text


def _bold(text: str, color: bool) -> str:
    return f"\033[1m{text}\033[0m" if color else text


def _header(report: dict[str, Any], color: bool) -> list[str]:
    decision = report["decision"]
    lines = [
        f"gatecheck: {_paint(_bold(decision.upper(), color), decision, color)}  "
        f"{release_label(report)}  stage={report.get('stage')}  at={report.get('effective_time')}",
        f"  {DECISION_TEXT.get(decision, '')}".rstrip(),
    ]
    if decision != "error":
        lines.append(f"  controls: {counts_line(report)}")
    if report.get("auto_approved"):
        lines.append("  auto-approved: standard low-risk change from a pre-approved template")
    engine = report.get("engine") or {}
    bound = [
        f"bundle {report['bundle_digest']}" if report.get("bundle_digest") else "",
        f"policy {report['policy_digest']}" if report.get("policy_digest") else "",
        f"engine {engine.get('backend')} (OPA {engine.get('opa_version')})" if engine else "",
    ]
    if any(bound):
        lines.append("  " + "  ".join(b for b in bound if b))
    signature = report.get("signature")
    if isinstance(signature, dict) and signature.get("status"):
        lines.append(f"  signature: {signature['status']}")
    return lines


def _weakening(report: dict[str, Any], color: bool) -> list[str]:
    """Always shown (verbose or not): what the configuration relaxed, and where it came from.
    Controls turned off by the same source are one line, so a gate switched off wholesale
    stays readable."""
    lines = []
    items = weakened(report)
    if items:
        lines.append("  " + _paint(_bold(weakened_title(report).upper(), color), "warn", color))
        groups: dict[tuple[str, str, str], list[str]] = {}
        for item in items:
            if item.get("kind") == "enforcement":
                key = (str(item.get("value")), str(item.get("default")), str(item.get("source")))
                groups.setdefault(key, []).append(str(item.get("control")))
        for (value, default, source), controls in groups.items():
            lines.append(
                "    ! "
                + one_line(f"{value} (default {default}): {', '.join(controls)}, from {source}")
            )
        for item in items:
            if item.get("kind") != "enforcement":
                lines.append(f"    ! {weakened_line(item, limit=60)}")
    sources = config_sources(report)
    if sources:
        lines.append(f"  configuration: {one_line('; '.join(sources))}")
    return lines


def _authenticity(report: dict[str, Any]) -> list[str]:
    """One summary line, one line per file nobody vouched for, one line per approval."""
    if authenticity(report) is None:
        return []
    lines = [f"  {authenticity_summary(report)}"]
    for item in auth_evidence(report):
        if item.get("authenticated") is not True:
            lines.append(f"    - {one_line(evidence_label(item))}: {one_line(vouched_by(item))}")
    for item in auth_approvals(report):
        lines.append(f"  approval: {approval_line(item, short=True)}")
    return lines


def _result_lines(result: dict[str, Any], color: bool, verbose: bool) -> list[str]:
    status = result["status"]
    head = (
        f"{_paint(STATUS_LABEL.get(status, status.upper()), status, color)} "
        f"{_bold(one_line(result['control']), color)} {one_line(result['title'])} "
        f"[{result['severity']}, {result.get('enforcement', '?')}]"
    )
    lines = [head]
    if status == "pass" and not result.get("messages"):
        return lines
    items = findings(result)
    for kind, message, refs in items if verbose else items[:MAX_FINDINGS]:
        prefix = "waived: " if kind == "waived" and not message.startswith("waived") else ""
        lines.append(f"  - {prefix}{one_line(message)}")
        shown = refs if verbose else refs[:MAX_REFS]
        for ref in shown:
            lines.append(f"      evidence: {one_line(ref_text(ref))}")
        if len(refs) > len(shown):
            lines.append(f"      (and {len(refs) - len(shown)} more evidence references)")
    if not verbose and len(items) > MAX_FINDINGS:
        lines.append(f"  (and {len(items) - MAX_FINDINGS} more findings; --verbose lists all)")
    for item in result.get("waived") or []:
        if item.get("waiver"):
            lines.append(f"  waiver: {one_line(item['waiver'])}")
            break
    if status in ("fail", "warn") and result.get("remediation"):
        lines.append(f"  fix: {' '.join(result['remediation'].split())}")
    return lines


def render(report: dict[str, Any], *, verbose: bool = False, color: bool = False, **_: Any) -> str:
    lines = _header(report, color) + _weakening(report, color) + _authenticity(report)
    if report["decision"] == "error":
        lines.append(f"  error: {one_line(report.get('error'))}")
        return "\n".join(lines) + "\n"
    shown = {"fail", "warn", "waived"} | ({"not_applicable", "pass"} if verbose else set())
    for result in ordered_results(report):
        if result["status"] in shown:
            lines.append("")
            lines += _result_lines(result, color, verbose)
    hidden = sum(1 for r in report.get("results") or [] if r["status"] not in shown)
    if hidden:
        lines.append("")
        lines.append(
            f"{hidden} passing or not-applicable controls not shown (--verbose lists them)"
        )
    if report.get("disabled_controls") and verbose:
        lines.append(f"off at this stage: {', '.join(report['disabled_controls'])}")
    waivers = report.get("waivers") or {}
    for waiver in waivers.get("expired", []):
        lines.append(
            f"expired waiver ignored: {waiver.get('control')} (expired {waiver.get('expires')}, "
            f"approved by {waiver.get('approver')})"
        )
    return "\n".join(lines) + "\n"
