"""Report renderers, one module per output format, each exposing ``render(report, **opts) -> str``."""

from __future__ import annotations

import importlib
from typing import Any

from gatecheck.errors import UsageError

FORMATS: dict[str, str] = {
    "text": "gatecheck.engine.formats.text",
    "json": "gatecheck.engine.formats.json",
    "junit": "gatecheck.engine.formats.junit",
    "sarif": "gatecheck.engine.formats.sarif",
    "github": "gatecheck.engine.formats.github",
    "markdown": "gatecheck.engine.formats.markdown",
    "html": "gatecheck.engine.formats.html",
    # Needs the optional compliance-trestle (pip install 'gatecheck[oscal]').
    "oscal": "gatecheck.engine.formats.oscal",
}


def render(report: dict[str, Any], fmt: str, **options: Any) -> str:
    module_name = FORMATS.get(fmt)
    if module_name is None:
        raise UsageError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(module_name).render(report, **options)
