"""Helpers shared by the test modules (import as ``from helpers import ...``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gatecheck.bundles.store import add_evidence, init_bundle, seal_bundle

DATA = Path(__file__).parent / "data"
DIGEST = "sha256:" + "ab" * 32


def run_gatecheck(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a fresh process, as a pipeline runs it."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("GATECHECK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gatecheck", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def make_bundle(
    root: Path,
    files: list[Path] | None = None,
    *,
    name: str = "payments-api",
    version: str = "1.4.0",
    release_class: str | None = "major",
    artifacts: list[dict] | None = None,
    seal: bool = True,
    labels: dict[str, str] | None = None,
) -> Path:
    if artifacts is None:
        artifacts = [{"name": name, "version": version, "digest": DIGEST}]
    init_bundle(root, name, version, release_class=release_class, artifacts=artifacts)
    if files:
        add_evidence(root, list(files), labels=labels)
    if seal:
        seal_bundle(root)
    return root


def cyclonedx_py_command() -> list[str]:
    """The real cyclonedx-py of this interpreter's environment (found without PATH, since
    the test command runs the venv's python without activating the venv)."""
    import importlib.util

    import pytest

    if importlib.util.find_spec("cyclonedx_py") is None:
        pytest.skip("cyclonedx-py is not installed (pip install 'gatecheck[test]')")
    return [sys.executable, "-m", "cyclonedx_py"]


def org_control(deny_when: str | None = None) -> str:
    """Rego of an organization's own control, ORG-1 (package gatecheck.controls.org_extra),
    enforced at production; with ``deny_when``, it fails when that Rego expression holds."""
    text = (
        "package gatecheck.controls.org_extra\n\nimport rego.v1\n\n"
        'info := {"id": "ORG-1", "title": "t", "severity": "low", "params": [],'
        ' "stages": {"production": "fail"}}\n'
    )
    if deny_when is not None:
        text += f'\ndeny contains {{"msg": "org"}} if {{\n\t{deny_when}\n}}\n'
    return text
