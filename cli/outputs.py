"""What report renderers need beyond the report itself, fetched only for formats that use it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# Formats that show control descriptions, remediation or framework mappings.
_DOCUMENTED = {"sarif", "html", "markdown", "github", "oscal"}


def render_options(
    formats: set[str],
    report: dict[str, Any],
    bundle: Path,
    catalog: Callable[[], dict[str, dict[str, Any]]],
) -> dict[str, Any]:
    """Keyword options for every renderer of this run. ``catalog`` (control METADATA read
    through the engine) is only called when a documented format is asked for and the
    evaluation completed; renderers fall back to the report alone without it."""
    options: dict[str, Any] = {}
    if formats & _DOCUMENTED and report.get("decision") != "error":
        options["catalog"] = catalog()
    if "sarif" in formats:
        options["bundle_uri"] = bundle.resolve().as_uri() + ("/" if bundle.is_dir() else "")
    return options


def require_formats(formats: set[str]) -> None:
    """Fail before evaluating when a format needs an extra that is not installed."""
    if "oscal" in formats:
        from gatecheck.engine.formats._oscal import require_trestle

        require_trestle()


def publish_step_summary(formats: set[str], report: dict[str, Any]) -> None:
    """The github format also appends the Markdown report to $GITHUB_STEP_SUMMARY when set."""
    if "github" in formats:
        from gatecheck.engine.formats.github import append_step_summary

        append_step_summary(report)
