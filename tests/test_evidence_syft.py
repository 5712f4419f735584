"""SBOMs made by the real syft (github.com/anchore/syft, pinned in .ci/syft-version) of the
example app's environment: CycloneDX 1.6 and SPDX 2.3 JSON are accepted and normalized to
the same packages as cyclonedx-py's SBOM of the same environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
from helpers import cyclonedx_py_command
from test_evidence_sbom import parse_file

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "app"
SYFT_VERSION = (ROOT / ".ci" / "syft-version").read_text().strip()


def _syft() -> str:
    found = os.environ.get("GATECHECK_SYFT") or shutil.which("syft")
    if not found:
        pytest.skip(
            f"syft is not installed (CI builds it: go install "
            f"github.com/anchore/syft/cmd/syft@{SYFT_VERSION})"
        )
    return found


@pytest.fixture(scope="module")
def sboms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """syft's CycloneDX and SPDX SBOMs and cyclonedx-py's, all of one environment holding
    the example app's pinned dependencies."""
    syft = _syft()
    cyclonedx_py = cyclonedx_py_command()
    work = tmp_path_factory.mktemp("syft")
    env_dir = work / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    requirements = (APP / "requirements.txt").read_text().split()
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + requirements,
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        pytest.skip(f"the example's dependencies could not be installed: {installed.stderr[-300:]}")
    out = {name: work / name for name in ("syft.cdx.json", "syft.spdx.json", "syft-1.7.cdx.json")}
    subprocess.run(
        [syft, "scan", f"dir:{env_dir}", "-q", "--source-name", "payments-api",
         "--source-version", "1.4.0",
         "-o", f"cyclonedx-json@1.6={out['syft.cdx.json']}",
         "-o", f"spdx-json={out['syft.spdx.json']}",
         "-o", f"cyclonedx-json={out['syft-1.7.cdx.json']}"],
        check=True,
        capture_output=True,
        env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )  # fmt: skip
    out["cyclonedx-py.cdx.json"] = work / "cyclonedx-py.cdx.json"
    subprocess.run(
        [*cyclonedx_py, "environment", str(python), "--pyproject", str(APP / "pyproject.toml"),
         "--sv", "1.6", "-o", str(out["cyclonedx-py.cdx.json"])],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return out


def _packages(facts: dict[str, Any]) -> set[str]:
    return {c["purl"] or f"{c['name']}@{c['version']}" for c in facts["components"]}


def test_syft_sboms_are_valid_and_describe_the_app(sboms: dict[str, Path]) -> None:
    for name, spec, version in [
        ("syft.cdx.json", "cyclonedx", "1.6"),
        ("syft.spdx.json", "spdx", "2.3"),
    ]:
        _fmt, facts = parse_file(sboms[name])
        assert (facts["spec"], facts["spec_version"]) == (spec, version)
        assert facts["valid"], facts["errors"]
        assert (facts["subject"]["name"], facts["subject"]["version"]) == ("payments-api", "1.4.0")
        # Every package is identified (GC-ART-003 fails a component without version or purl).
        assert all(c["version"] and c["purl"] for c in facts["components"]), facts["components"]


def test_syft_and_cyclonedx_py_see_the_same_packages(sboms: dict[str, Path]) -> None:
    _f, reference = parse_file(sboms["cyclonedx-py.cdx.json"])
    expected = _packages(reference)
    assert expected == {"pkg:pypi/idna@3.10", "pkg:pypi/certifi@2024.8.30"}
    for name in ("syft.cdx.json", "syft.spdx.json"):
        _fmt, facts = parse_file(sboms[name])
        assert _packages(facts) == expected, name
        assert facts["component_count"] == len(expected)


def test_syft_lists_files_as_components_but_they_are_no_packages(sboms: dict[str, Path]) -> None:
    import json

    raw = json.loads(sboms["syft.cdx.json"].read_text())
    assert any(c.get("type") == "file" for c in raw["components"])  # syft's own output
    _fmt, facts = parse_file(sboms["syft.cdx.json"])
    assert all(c["type"] != "file" for c in facts["components"])


def test_syft_default_cyclonedx_1_7_is_not_accepted_unvalidated(sboms: dict[str, Path]) -> None:
    # syft writes CycloneDX 1.7 unless asked for 1.6; gatecheck validates 1.4-1.6 only, so it
    # says so instead of trusting an unvalidated document.
    _fmt, facts = parse_file(sboms["syft-1.7.cdx.json"])
    assert facts["spec_version"] == "1.7"
    assert not facts["valid"]
    assert "'1.7' is not supported" in facts["errors"][0]
