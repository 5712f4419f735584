"""Shared fixtures: evidence made by real tools, once per test session."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import cyclonedx_py_command
from opa_support import opa_server


@pytest.fixture(scope="session")
def cyclonedx_sbom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CycloneDX 1.6 JSON SBOM made by the real cyclonedx-py for payments-api 1.4.0."""
    command = cyclonedx_py_command()
    work = tmp_path_factory.mktemp("sbom")
    (work / "pyproject.toml").write_text(
        '[project]\nname = "payments-api"\nversion = "1.4.0"\n', encoding="utf-8"
    )
    (work / "requirements.txt").write_text("idna==3.7\ncertifi==2024.7.4\n", encoding="utf-8")
    out = work / "payments-api.cdx.json"
    subprocess.run(
        [
            *command,
            "requirements",
            str(work / "requirements.txt"),
            "--pyproject",
            str(work / "pyproject.toml"),
            "--sv",
            "1.6",
            "--output-reproducible",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1764000000"},
    )
    return out


@pytest.fixture(scope="session")
def opa_upload_server() -> Iterator[str]:
    """One ``opa run --server`` for the session's upload-mode tests (skips without OPA)."""
    with opa_server() as url:
        yield url
