"""`gatecheck policy lint`: OPA's own fmt, strict check and per-file coverage, via the binary."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_gatecheck
from opa_support import require_opa

CLEAN = """package gatecheck.controls.org_lint

import rego.v1

double(x) := x * 2
"""
CLEAN_TEST = """package gatecheck.controls.org_lint_test

import data.gatecheck.controls.org_lint
import rego.v1

test_double if org_lint.double(2) == 4
"""
# Badly indented, an unused function argument, and a rule no test reaches.
MESSY = """package gatecheck.controls.org_messy

import rego.v1

first(x, unused) := x
untested   := 1 + 1
"""


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    require_opa()
    org = tmp_path_factory.mktemp("lint") / "org"
    org.mkdir()
    (org / "clean.rego").write_text(CLEAN)
    (org / "clean_test.rego").write_text(CLEAN_TEST)
    (org / "messy.rego").write_text(MESSY)
    proc = run_gatecheck("policy", "lint", str(org), "--diff")
    assert not proc.stderr, proc.stderr
    return proc.returncode, proc.stdout


@pytest.mark.opa_binary
def test_findings_are_listed_per_file_and_exit_1(linted: tuple[int, str]) -> None:
    code, out = linted
    assert code == 1
    assert "FMT   org/messy.rego: not `opa fmt` formatted" in out
    assert "untested" in out  # only the diff shows rule text
    assert any(
        line.startswith("CHECK org/messy.rego:5: unused argument unused")
        for line in out.splitlines()
    ), out
    assert ["LOW", "0.0%", "org/messy.rego"] in [line.split() for line in out.splitlines()]


@pytest.mark.opa_binary
def test_a_clean_fully_tested_module_has_no_finding(linted: tuple[int, str]) -> None:
    _code, out = linted
    assert "org/clean.rego:" not in out
    assert ["100.0%", "org/clean.rego"] in [line.split() for line in out.splitlines()]


def test_lint_without_the_binary_says_how_to_get_it(tmp_path: Path) -> None:
    proc = run_gatecheck("policy", "lint", env={"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert "OPA binary" in proc.stderr and "Traceback" not in proc.stderr
