"""Packaging: every Python package of the source tree ships in the wheel under `gatecheck`."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = {
    "gatecheck": "gatecheck",
    "cli": "gatecheck.cli",
    "engine": "gatecheck.engine",
    "evidence": "gatecheck.evidence",
    "bundles": "gatecheck.bundles",
    "policies": "gatecheck.policies",
}


def test_every_source_package_is_declared() -> None:
    declared = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set()
    for folder, name in TOP_LEVEL.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *relative)))
    assert found == declared, f"undeclared: {found - declared}, missing on disk: {declared - found}"


def test_package_dirs_map_the_top_level_folders() -> None:
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    assert mapping == {name: folder for folder, name in TOP_LEVEL.items()}


def test_wheel_ships_every_module_and_policy_under_gatecheck(tmp_path: Path) -> None:
    """What `pip install .` installs: built like the README's quick start does."""
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    names = set(zipfile.ZipFile(next(tmp_path.glob("gatecheck-*.whl"))).namelist())
    expected = set()
    for folder, name in TOP_LEVEL.items():
        prefix = name.replace(".", "/")
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".rego") or (folder == "policies" and path.suffix == ".json"):
                expected.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    assert expected - names == set()
    assert not [
        n for n in names if n.split("/")[0] in {"cli", "engine", "evidence", "bundles", "policies"}
    ]


def test_ci_runs_the_readme_quick_start_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick_start.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in commands:
        assert command in ci


def test_ci_quick_start_evaluation_runs_before_the_opa_binary_is_on_path() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    evaluation = next(i for i, line in enumerate(ci) if "gatecheck evaluate examples/" in line)
    on_path = next(i for i, line in enumerate(ci) if line.startswith('export PATH="$OPA_DIR'))
    assert evaluation < on_path
