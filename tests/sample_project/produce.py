"""Runs the sample project's tests with the real tools (pytest --junitxml, coverage run /
xml / json / lcov) in a copy of the project and returns the evidence files they wrote.

The result is cached per directory, so the test modules that share one session directory run
the tools once.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent
TIMEOUT_S = 120


@dataclass(frozen=True)
class SampleEvidence:
    directory: Path
    junit_unit: Path
    """check_accounts.py: 5 tests, 1 skipped, all others pass."""
    junit_integration: Path
    """check_fees.py: 4 tests, all pass."""
    junit_integration_broken: Path
    """check_fees.py with SAMPLE_PROJECT_BREAK=1: 1 failure, 1 error."""
    cobertura: Path
    coverage_json: Path
    lcov: Path
    coverage_data: Path
    """coverage.py's own data file, for reading the totals through coverage's API."""


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    # Settings of the outer test run must not leak into the sample's run.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "COVERAGE_")) and k not in ("PYTHONPATH",)
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The sample needs no third-party pytest plugins; loading them (hypothesis...) costs
    # about a second per run.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("SAMPLE_PROJECT_BREAK", None)
    env.update(extra or {})
    return env


def _run(args: list[str], cwd: Path, *, expect: int = 0, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != expect:
        output = (proc.stdout + proc.stderr).strip()[-2000:]
        raise RuntimeError(
            f"{' '.join(args)} exited {proc.returncode}, expected {expect}:\n{output}"
        )


@functools.cache
def produce(directory: Path) -> SampleEvidence:
    project = directory / "project"
    out = directory / "evidence"
    shutil.copytree(
        SOURCE,
        project,
        ignore=shutil.ignore_patterns("produce.py", "__pycache__", ".pytest_cache", ".coverage*"),
    )
    out.mkdir(parents=True)
    pytest_args = ["pytest", "-q", "-p", "no:cacheprovider"]
    measure = ["coverage", "run", "--branch", "--source=ledger"]
    ev = SampleEvidence(
        directory=out,
        junit_unit=out / "junit-unit.xml",
        junit_integration=out / "junit-integration.xml",
        junit_integration_broken=out / "junit-integration-broken.xml",
        cobertura=out / "coverage.xml",
        coverage_json=out / "coverage.json",
        lcov=out / "coverage.lcov",
        coverage_data=project / ".coverage",
    )
    _run(
        [*measure, "-m", *pytest_args, "checks/check_accounts.py", f"--junitxml={ev.junit_unit}"],
        project,
    )
    _run(
        [
            *measure,
            "--append",
            "-m",
            *pytest_args,
            "checks/check_fees.py",
            f"--junitxml={ev.junit_integration}",
        ],
        project,
    )
    _run(
        [*pytest_args, "checks/check_fees.py", f"--junitxml={ev.junit_integration_broken}"],
        project,
        expect=1,
        env=_environment({"SAMPLE_PROJECT_BREAK": "1"}),
    )
    _run(["coverage", "xml", "-q", "-o", str(ev.cobertura)], project)
    _run(["coverage", "json", "-q", "-o", str(ev.coverage_json)], project)
    _run(["coverage", "lcov", "-q", "-o", str(ev.lcov)], project)
    return ev
