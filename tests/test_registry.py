"""The parser registry: declared families match the parsers, and reading a bundle imports
only the parser modules its evidence needs."""

from __future__ import annotations

import subprocess
import sys

from gatecheck.evidence import registry


def test_every_declared_family_is_the_parsers_own() -> None:
    for family, spec in registry.PARSERS:
        assert registry._load(spec).family == family, spec


def test_parsing_one_family_imports_only_its_modules() -> None:
    code = (
        "import sys\n"
        "from gatecheck.evidence import registry\n"
        "registry.parser_for('vulnerability-scan', 'pip-audit-json')\n"
        "print(sorted(m for m in sys.modules if m.startswith('gatecheck.evidence.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "gatecheck.evidence.scans.pipaudit" in out
    for unrelated in ("signatures", "governance", "lifecycle", "sarif", "coverage", "junit"):
        assert f"gatecheck.evidence.{unrelated}'" not in out, unrelated
