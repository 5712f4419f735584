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


# Weakening and authenticity: optional report keys (older reports lack them; render nothing).


def weakened(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in report.get("weakened") or [] if isinstance(w, dict)]


def config_sources(report: dict[str, Any]) -> list[str]:
    return [str(s) for s in report.get("config_sources") or []]


def value_text(value: Any, limit: int = 80) -> str:
    """A parameter value as compact JSON, cut at ``limit`` characters."""
    import json

    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def weakened_title(report: dict[str, Any]) -> str:
    items = weakened(report)
    laxer = sum(1 for w in items if w.get("direction") == "laxer")
    counts = [f"{laxer} laxer"] if laxer else []
    counts += [f"{len(items) - laxer} changed"] if len(items) > laxer else []
    stage = report.get("stage")
    # Only a laxer item is a weakening; a change whose direction is unknown is named as such.
    what = "weakened" if laxer else "changed"
    return f"policy {what} at {stage} against the library defaults: {', '.join(counts)}"


def weakened_subject(item: dict[str, Any]) -> str:
    if item.get("kind") == "enforcement":
        return f"{item.get('control')} enforcement"
    return f"param {item.get('param')}"


def weakened_line(item: dict[str, Any], limit: int = 80) -> str:
    """One item as one line: what, effective and default value, direction, where from."""
    if item.get("kind") == "enforcement":
        values = f"{item.get('value')} (default {item.get('default')})"
    else:
        values = (
            f"{value_text(item.get('value'), limit)} "
            f"(default {value_text(item.get('default'), limit)})"
        )
    return one_line(
        f"{weakened_subject(item)} {values} {item.get('direction')}, from {item.get('source')}"
    )


def authenticity(report: dict[str, Any]) -> dict[str, Any] | None:
    value = report.get("authenticity")
    return value if isinstance(value, dict) else None


def auth_evidence(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in (authenticity(report) or {}).get("evidence") or [] if isinstance(e, dict)]


def auth_approvals(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in (authenticity(report) or {}).get("approvals") or [] if isinstance(a, dict)]


def authenticity_summary(report: dict[str, Any]) -> str:
    files = auth_evidence(report)
    done = sum(1 for e in files if e.get("authenticated") is True)
    required = (authenticity(report) or {}).get("required")
    at = report.get("stage")
    need = f"required at {at}" if required else f"not required at {at}"
    excluded = sum(1 for e in files if e.get("excluded"))
    dropped = f"; facts of {excluded} excluded" if excluded else ""
    return f"{done} of {len(files)} evidence files authenticated ({need}{dropped})"


def evidence_label(item: dict[str, Any]) -> str:
    extra = " ".join(str(item[k]) for k in ("type", "name") if item.get(k))
    return f"{item.get('path')} ({extra})" if extra else str(item.get("path"))


def vouched_by(item: dict[str, Any], short: bool = False) -> str:
    """Who vouched for an evidence file or approval, or why nobody did."""
    if item.get("authenticated") is not True:
        reason = item.get("reason")
        text = "unauthenticated" + (f": {reason}" if reason else "")
        return text + ("; facts excluded" if item.get("excluded") else "")
    identity = short_identity(item.get("identity")) if short else item.get("identity")
    who = item.get("producer") or item.get("person") or "authenticated"
    return f"{who} ({identity})" if identity else str(who)


def short_identity(identity: Any) -> str | None:
    """``key:<64 hex>`` cut to 16 hex digits for one-line output; others unchanged."""
    if not identity:
        return None
    text = str(identity)
    if text.startswith("key:") and len(text) > 20:
        return text[:20] + "..."
    return text


def approval_line(item: dict[str, Any], short: bool = False) -> str:
    roles = ", ".join(str(r) for r in item.get("roles") or []) or "no directory role"
    person = item.get("person") or "unknown person"
    head = f"{item.get('kind') or 'approval'} {item.get('decision') or ''}".strip()
    if item.get("authenticated") is True:
        identity = short_identity(item.get("identity")) if short else item.get("identity")
        signed = f", signed {identity}" if identity else ""
        return one_line(f"{head} by {person} [{roles}]{signed}")
    return one_line(f"{head} by {person} [{roles}], unauthenticated ({item.get('path')})")
