"""Policy impact as text, JSON or one self-contained HTML page, all from the JSON shape
(``ImpactResult.as_dict``) so the three always say the same thing."""

from __future__ import annotations

import json
from typing import Any

from gatecheck.engine.formats.html import _CSS, _code, _e, _table, page_head

FORMATS = ("text", "json", "html")


def _flip(old: Any, new: Any) -> str:
    return f"{old} -> {new if new is not None else '(not re-evaluated)'}"


def _headline(doc: dict[str, Any]) -> str:
    t = doc["totals"]
    return (
        f"{t['entries']} entries selected, {t['reevaluated']} re-evaluated, "
        f"{t['decisions_changed']} decisions changed, {t['controls_changed']} control statuses "
        f"changed, {t['errors']} re-evaluations ended in error, {t['not_reevaluated']} not "
        "re-evaluated"
    )


_INPUT_LABELS = (("trust_policy", "trust policy"), ("waivers", "waiver set"))


def inputs_warning(inputs: dict[str, Any] | None) -> str | None:
    """Why an entry's change may not come from the policies: the candidate's trust policy or
    waivers differ from the recorded evaluation's, or whether they do is unknown."""
    if not inputs:
        return None
    differ = [label for key, label in _INPUT_LABELS if inputs[key] == "differs"]
    unknown = [label for key, label in _INPUT_LABELS if inputs[key] == "unknown"]
    sentences = []
    if differ:
        what = "; ".join(inputs.get("changes") or []) or (
            f"{', '.join(inputs['differing_parts'])} differ"
        )
        sentences.append(
            f"evaluated under a different {' and '.join(differ)} than recorded ({what}): the "
            "change may come from that, not from the policies"
        )
    if unknown:
        sentences.append(
            f"whether the {' and '.join(unknown)} match the recorded evaluation's is unknown "
            "(its report holds no part digests)"
        )
    return "; ".join(sentences) or None


def totals_warning(doc: dict[str, Any]) -> str | None:
    """The entries, listed or not, re-evaluated under another trust policy or waiver set."""
    t = doc["totals"]
    differ = [
        f"{t[key]} under a different {label}"
        for key, label in (
            ("trust_policy_differs", "trust policy"),
            ("waivers_differ", "waiver set"),
        )
        if t[key]
    ]
    sentences = []
    if differ:
        sentences.append(
            f"of {t['reevaluated']} re-evaluated entries, {' and '.join(differ)} than recorded"
        )
    if t["trust_and_waivers_unknown"]:
        sentences.append(
            f"for {t['trust_and_waivers_unknown']} the trust policy or waivers are unknown "
            "(reports without part digests)"
        )
    if not sentences:
        return None
    return "; ".join(sentences) + ": their changes may come from that, not from the policies"


def render_text(doc: dict[str, Any]) -> str:
    lines = [f"policy impact: candidate policy digest {doc['policy_digest']}"]
    for entry in doc["entries"]:
        mark = "FLIP " if entry["decision_changed"] else "     "
        if entry["new_decision"] is None:
            mark = "SKIP "
        lines.append(
            f"{mark}entry {entry['id']}  {entry['release'] or '-'}  {entry['stage']}  "
            f"{entry['effective_time']}  {_flip(entry['old_decision'], entry['new_decision'])}"
        )
        for c in entry["controls"]:
            lines.append(f"        {c['control']}: {c['old']} -> {c['new']}")
        if entry["problem"]:
            lines.append(f"        {entry['problem']}")
        warning = inputs_warning(entry["trust_and_waivers"])
        if warning:
            lines.append(f"        warning: {warning}")
    if doc["controls"]:
        lines.append("per control:")
        for control, counts in doc["controls"].items():
            detail = ", ".join(f"{flip} {n}" for flip, n in counts.items())
            lines.append(f"  {control}: {detail}")
    if doc["decisions"]:
        detail = ", ".join(f"{flip} {n}" for flip, n in doc["decisions"].items())
        lines.append(f"decisions: {detail}")
    warning = totals_warning(doc)
    if warning:
        lines.append(f"warning: {warning}")
    lines.append(_headline(doc))
    return "\n".join(lines) + "\n"


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


_EXTRA_CSS = (
    ".flip{color:var(--fail);font-weight:700}.skip{color:var(--warn);font-weight:700}"
    ".note{color:var(--warn)}"
)
_STYLE = _CSS + _EXTRA_CSS


def _status(value: Any) -> str:
    text = "(not re-evaluated)" if value is None else str(value)
    return f'<span class="status s-{_e(value)}">{_e(text)}</span>'


def render_html(doc: dict[str, Any]) -> str:
    t = doc["totals"]
    cards = "".join(
        f'<div class="card"><b>{_e(t[key])}</b>{_e(label)}</div>'
        for key, label in (
            ("entries", "entries"),
            ("reevaluated", "re-evaluated"),
            ("decisions_changed", "decisions changed"),
            ("controls_changed", "control statuses changed"),
            ("errors", "errors"),
            ("not_reevaluated", "not re-evaluated"),
        )
    )
    entry_rows = []
    for entry in doc["entries"]:
        if entry["new_decision"] is None:
            kind = '<span class="skip">not re-evaluated</span>'
        elif entry["decision_changed"]:
            kind = '<span class="flip">decision changed</span>'
        else:
            kind = "controls changed"
        controls = "<br>".join(
            f"{_code(c['control'])} {_status(c['old'])} &rarr; {_status(c['new'])}"
            for c in entry["controls"]
        )
        problem = f"<br>{_e(entry['problem'])}" if entry["problem"] else ""
        warning = inputs_warning(entry["trust_and_waivers"])
        if warning:
            problem += f'<br><span class="note">Warning: {_e(warning)}</span>'
        entry_rows.append(
            [
                _e(entry["id"]),
                _e(entry["release"] or "-"),
                _e(entry["stage"]),
                _e(entry["effective_time"]),
                f"{_status(entry['old_decision'])} &rarr; {_status(entry['new_decision'])}",
                kind,
                (controls or "-") + problem,
            ]
        )
    control_rows = [
        [_code(control), "<br>".join(f"{_e(flip)}: {_e(n)}" for flip, n in counts.items())]
        for control, counts in doc["controls"].items()
    ]
    entries_html = (
        _table(
            ["Entry", "Release", "Stage", "Effective time", "Decision", "", "Controls"],
            entry_rows,
            "entries",
        )  # fmt: skip
        if entry_rows
        else "<p>No entry changes under the candidate policy set.</p>"
    )
    controls_html = (
        _table(["Control", "Status changes (entries)"], control_rows, "controls")
        if control_rows
        else "<p>No control changes status.</p>"
    )
    warning = totals_warning(doc)
    warning_html = f'<p class="note">Warning: {_e(warning)}.</p>\n' if warning else ""
    return f"""{page_head("gatecheck policy impact", _STYLE)}<body>
<header>
<h1>gatecheck policy impact</h1>
<p>Candidate policy digest {_code(doc["policy_digest"])}. {_e(_headline(doc))}.</p>
<div class="cards">{cards}</div>
{warning_html}</header>
<main>
<h2>Entries that change</h2>
{entries_html}
<h2>Per control</h2>
{controls_html}
</main>
</body>
</html>
"""


def render(doc: dict[str, Any], fmt: str) -> str:
    return {"text": render_text, "json": render_json, "html": render_html}[fmt](doc)
