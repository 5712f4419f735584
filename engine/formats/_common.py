"""What several renderers share: ordering, labels and the control documentation lookup."""

from __future__ import annotations

import re
from typing import Any

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Most actionable first: what blocks the gate, then what to look at, then the rest.
STATUS_ORDER = ("fail", "warn", "waived", "not_applicable", "pass")
STATUS_LABEL = {
    "pass": "PASS",
    "fail": "FAIL",
    "warn": "WARN",
    "waived": "WAIVED",
    "not_applicable": "N/A",
}
DECISION_TEXT = {
    "pass": "The gate passed: no enforced control failed.",
    "fail": "The gate failed: at least one enforced control failed.",
    "rollback": "Rollback: a post-deployment control failed.",
    "error": "The evaluation could not be completed; this blocks like a failure.",
}


def release_label(report: dict[str, Any]) -> str:
    release = report.get("release") or {}
    if not release:
        return "(unknown release)"
    return f"{release.get('name')}@{release.get('version')}"


def ordered_results(report: dict[str, Any]) -> list[dict[str, Any]]:
    rank = {status: i for i, status in enumerate(STATUS_ORDER)}
    return sorted(
        report.get("results") or [],
        key=lambda r: (rank.get(r.get("status"), len(rank)), r.get("control", "")),
    )


def counts_line(report: dict[str, Any]) -> str:
    summary = report.get("summary") or {}
    return ", ".join(
        f"{summary.get(k, 0)} {k.replace('_', ' ')}"
        for k in ("pass", "fail", "warn", "waived", "not_applicable")
    )


def control_doc(
    result: dict[str, Any], catalog: dict[str, dict[str, Any]] | None
) -> dict[str, Any]:
    """Description, remediation and framework mappings of a result's control: from the result
    when the report carries them, else from the catalog (control METADATA), else empty."""
    info = (catalog or {}).get(result.get("control", ""), {})
    return {
        "description": result.get("description") or info.get("description") or "",
        "remediation": result.get("remediation") or info.get("remediation") or "",
        "frameworks": result.get("frameworks") or info.get("frameworks") or {},
    }


def findings(result: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(kind, message, evidence refs) per finding: each open violation, waived violation and
    warning with the evidence it cites; a not-applicable reason has no evidence."""
    items: list[tuple[str, str, list[dict[str, Any]]]] = []
    status = result.get("status")
    if status == "not_applicable":
        return [("not_applicable", m, []) for m in result.get("messages") or []]
    violation_kind = "fail" if result.get("enforcement") == "fail" else "warn"
    for v in result.get("violations") or []:
        items.append((violation_kind, v.get("msg", ""), list(v.get("evidence") or [])))
    for v in result.get("waived") or []:
        items.append(("waived", v.get("msg", ""), list(v.get("evidence") or [])))
    for w in result.get("warnings") or []:
        items.append(("warn", w.get("msg", ""), list(w.get("evidence") or [])))
    if not items:  # a report without per-finding detail: fall back to its messages
        refs = list(result.get("evidence") or [])
        items = [(status or "", m, refs) for m in result.get("messages") or []]
    return items


def ref_text(ref: dict[str, Any]) -> str:
    pointer = ref.get("pointer") or ""
    return f"{ref.get('path')}#{pointer}" if pointer else str(ref.get("path"))


def evidence_names(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bundle path -> the bundle's evidence entry (type, format, sha256, name if recorded)."""
    entries = (report.get("bundle") or {}).get("evidence") or []
    return {e.get("path"): e for e in entries if isinstance(e, dict)}


def one_line(text: object) -> str:
    """Untrusted text (messages quote evidence) as one printable line: whitespace collapsed,
    control characters such as terminal escape sequences shown as ``\\xNN``."""
    collapsed = " ".join(str(text).split())
    return _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", collapsed)
