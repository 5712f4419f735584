"""GitHub Actions: workflow commands that annotate the run, and a job summary.

Inside Actions (``GITHUB_ACTIONS=true``) each failed control becomes an ``::error``, each warning
a ``::warning``, and the full text report is folded into a log group. Outside Actions the text
report is printed as is. ``append_step_summary`` adds the Markdown report to the file
``$GITHUB_STEP_SUMMARY`` names, which GitHub shows on the run's summary page.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatecheck.engine.formats import markdown, text
from gatecheck.engine.formats._common import (
    auth_evidence,
    config_sources,
    evidence_label,
    findings,
    ordered_results,
    ref_text,
    release_label,
    vouched_by,
    weakened,
    weakened_line,
    weakened_title,
)
from gatecheck.errors import ReportError

MAX_FINDINGS = 5  # per annotation; the job summary and the report have them all
_COMMAND = {"fail": "error", "warn": "warning", "waived": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return (environ if environ is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def _annotations(report: dict[str, Any]) -> list[str]:
    """One annotation per control that failed, warned or was waived (GitHub shows only the
    first ten errors and ten warnings of a step, so findings are grouped by control)."""
    lines = []
    for result in ordered_results(report):
        command = _COMMAND.get(result["status"])
        if command is None:
            continue
        items = findings(result)
        body = [f"- {message}" for _, message, _ in items[:MAX_FINDINGS]]
        if len(items) > MAX_FINDINGS:
            body.append(f"(and {len(items) - MAX_FINDINGS} more findings)")
        refs = [ref for _, _, item_refs in items for ref in item_refs]
        if refs:
            more = f" (and {len(refs) - 5} more)" if len(refs) > 5 else ""
            body.append("evidence: " + ", ".join(ref_text(r) for r in refs[:5]) + more)
        if result["status"] in ("fail", "warn") and result.get("remediation"):
            body.append("fix: " + " ".join(result["remediation"].split()))
        title = f"{result['control']} {result['title']}"
        lines.append(
            f"::{command} title={escape_property(title)}::{escape_data(chr(10).join(body))}"
        )
    return lines


def _context_annotations(report: dict[str, Any]) -> list[str]:
    """The weakening and the evidence nobody vouched for, each as one annotation placed before
    the controls' (a step shows only its first ten warnings)."""
    lines = []
    items = weakened(report)
    if items:
        body = [f"- {weakened_line(item, limit=120)}" for item in items]
        sources = config_sources(report)
        if sources:
            body.append("configuration: " + "; ".join(sources))
        title = f"gatecheck: {weakened_title(report)}"
        lines.append(f"::warning title={escape_property(title)}::{escape_data(chr(10).join(body))}")
    unauthenticated = [e for e in auth_evidence(report) if e.get("authenticated") is not True]
    if unauthenticated:
        body = [f"- {evidence_label(e)}: {vouched_by(e)}" for e in unauthenticated]
        title = f"gatecheck: {len(unauthenticated)} evidence files unauthenticated"
        lines.append(f"::warning title={escape_property(title)}::{escape_data(chr(10).join(body))}")
    return lines


def render(
    report: dict[str, Any], *, environ: Mapping[str, str] | None = None, **options: Any
) -> str:
    plain = text.render(report, verbose=bool(options.get("verbose")))
    if not in_actions(environ):
        return plain
    decision = report["decision"]
    lines = []
    if decision == "error":
        lines.append(
            f"::error title=gatecheck evaluation error::{escape_data(str(report.get('error')))}"
        )
    lines += _context_annotations(report)
    lines += _annotations(report)
    summary = f"gatecheck {decision.upper()} for {release_label(report)} at {report.get('stage')}"
    lines.append(f"::notice title=gatecheck::{escape_data(summary)}")
    # The text report quotes evidence (untrusted): stop command processing while it is printed,
    # with a token derived from the report so that no evidence can know and close it early.
    token = hashlib.sha256(json.dumps(report, sort_keys=True, default=str).encode()).hexdigest()
    lines.append("::group::gatecheck report")
    lines.append(f"::stop-commands::{token}")
    lines.append(plain.rstrip("\n"))
    lines.append(f"::{token}::")
    lines.append("::endgroup::")
    return "\n".join(lines) + "\n"


def append_step_summary(
    report: dict[str, Any], environ: Mapping[str, str] | None = None
) -> Path | None:
    """Append the Markdown report to $GITHUB_STEP_SUMMARY; None when it is not set."""
    target = (environ if environ is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(markdown.render(report) + "\n")
    except OSError as exc:
        raise ReportError(
            f"cannot append the job summary to {path} ($GITHUB_STEP_SUMMARY): {exc.strerror or exc}"
        ) from None
    return path
