"""OPA's own checks on a policy set (``gatecheck policy lint``), through the ``opa`` binary:
``opa fmt`` (is every file formatted), ``opa check --strict`` (unused arguments, shadowed
imports, deprecated builtins...) and ``opa test --coverage`` (line coverage per module).

The set is materialized exactly as ``--engine opa`` evaluates it (one merged ``data.json``),
so the checks see the same modules and data as an evaluation.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gatecheck.engine.binary import BinaryEngine
from gatecheck.engine.policy import PolicySet
from gatecheck.errors import EngineError

DEFAULT_MIN_COVERAGE = 95.0


@dataclass
class LintReport:
    unformatted: list[str] = field(default_factory=list)
    """Files ``opa fmt`` would change."""
    fmt_diff: str = ""
    check_errors: list[str] = field(default_factory=list)
    """``file:row: message`` from ``opa check --strict``."""
    test_failures: list[str] = field(default_factory=list)
    coverage: dict[str, float] = field(default_factory=dict)
    """Line coverage in percent per policy module (test modules excluded)."""

    def below(self, minimum: float) -> dict[str, float]:
        return {f: c for f, c in self.coverage.items() if c < minimum}


def lint(policies: PolicySet, engine: BinaryEngine) -> LintReport:
    report = LintReport()
    with tempfile.TemporaryDirectory(prefix="gatecheck-lint-") as tmp:
        root = Path(tmp)
        BinaryEngine._materialize(policies, root, tests=True)
        base = root / "modules"

        def name(path: str) -> str:
            return str(Path(path).resolve().relative_to(base.resolve())) if path else "?"

        listed = engine._exec(["fmt", "--list", str(base)])
        if listed.returncode != 0:
            raise EngineError(f"opa fmt failed: {_stderr(listed)}")
        report.unformatted = sorted(name(p) for p in listed.stdout.decode().split())
        if report.unformatted:
            report.fmt_diff = engine._exec(["fmt", "--diff", str(base)]).stdout.decode(
                "utf-8", "replace"
            )
        checked = engine._exec(["check", "--strict", "--format", "json", str(base)])
        if checked.returncode != 0:
            try:
                errors = json.loads(checked.stdout or checked.stderr).get("errors", [])
            except (json.JSONDecodeError, AttributeError):
                raise EngineError(f"opa check failed: {_stderr(checked)}") from None
            for error in errors:
                location = error.get("location") or {}
                report.check_errors.append(
                    f"{name(location.get('file', ''))}:{location.get('row', '?')}: "
                    f"{' '.join(str(error.get('message', '')).split())}"
                )
        tested = engine._exec(["test", "--format", "json", str(base)])
        try:
            for result in json.loads(tested.stdout or b"[]"):
                if result.get("fail") or result.get("error"):
                    report.test_failures.append(
                        f"{result.get('package', '')}.{result.get('name', '')}"
                    )
        except (json.JSONDecodeError, AttributeError):
            raise EngineError(f"opa test failed: {_stderr(tested)}") from None
        covered = engine._exec(["test", "--coverage", "--format", "json", str(base)])
        try:
            files = json.loads(covered.stdout).get("files", {})
        except (json.JSONDecodeError, AttributeError):
            files = None
        if files is None and not report.test_failures:
            raise EngineError(f"opa test --coverage failed: {_stderr(covered)}")
        for path, entry in (files or {}).items():
            if not path.endswith("_test.rego"):
                report.coverage[name(path)] = float(entry.get("coverage", 0.0))
    return report


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return " ".join(proc.stderr.decode("utf-8", "replace").split())[:300]
