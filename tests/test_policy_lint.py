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


def _org(root: Path) -> Path:
    org = root / "org"
    org.mkdir()
    (org / "clean.rego").write_text(CLEAN)
    (org / "clean_test.rego").write_text(CLEAN_TEST)
    (org / "messy.rego").write_text(MESSY)
    return org


def _figures(out: str) -> dict[str, str]:
    return {
        parts[-1]: parts[-2]
        for parts in (line.split() for line in out.splitlines())
        if len(parts) >= 2 and parts[-2].endswith("%")
    }


def test_policy_test_coverage_prints_line_coverage_per_module(tmp_path: Path) -> None:
    proc = run_gatecheck("policy", "test", "--coverage", str(_org(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    figures = _figures(proc.stdout)
    assert figures["org/clean.rego"] == "100.0%"
    assert figures["org/messy.rego"] == "0.0%"  # no test reaches it
    assert not any(path.startswith("builtin/") for path in figures)  # only DIRS' modules


def test_policy_test_coverage_refuses_other_engines(tmp_path: Path) -> None:
    proc = run_gatecheck("policy", "test", "--coverage", "--engine", "opa", str(_org(tmp_path)))
    assert proc.returncode == 2
    assert "policy lint" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.opa_binary
def test_embedded_coverage_is_the_figure_opa_test_gives() -> None:
    require_opa()
    embedded = run_gatecheck("policy", "test", "--coverage")
    assert embedded.returncode == 0, embedded.stderr
    linted = run_gatecheck("policy", "lint", "--no-fmt")
    assert _figures(embedded.stdout) == _figures(linted.stdout)
    assert len(_figures(embedded.stdout)) > 40


@pytest.mark.opa_binary
def test_no_fmt_reports_formatting_without_failing_on_it(tmp_path: Path) -> None:
    require_opa()
    org = tmp_path / "org"
    org.mkdir()
    (org / "clean.rego").write_text(CLEAN.replace("double(x) := x * 2", "double(x)   :=   x * 2"))
    (org / "clean_test.rego").write_text(CLEAN_TEST)
    advisory = run_gatecheck("policy", "lint", "--no-fmt", "--min-coverage", "0", str(org))
    assert "FMT   org/clean.rego: not `opa fmt` formatted" in advisory.stdout
    assert "CHECK" not in advisory.stdout
    enforced = run_gatecheck("policy", "lint", "--min-coverage", "0", str(org))
    assert enforced.returncode == 1
    assert advisory.returncode == 0, advisory.stdout


@pytest.mark.opa_binary
def test_the_builtin_library_passes_opas_own_checks() -> None:
    """fmt clean, strict-check clean, every test green, every module >= 95% line coverage."""
    require_opa()
    proc = run_gatecheck("policy", "lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 unformatted, 0 strict-check errors, 0 failing tests, 0 of" in proc.stdout
