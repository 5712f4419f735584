"""Weakening through `gatecheck evaluate` on the shipped example: a gate switched off, a
pyproject.toml picked up from the working directory, raised vulnerability thresholds and
environment variables are each named, with their source, in every output format."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml
from helpers import run_gatecheck

from gatecheck.engine.formats import FORMATS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "payments-api-1.4.0"
AT = ["--stage", "production", "--at", "2026-11-27T10:00:00Z"]
CONFIG = ["--config", str(EXAMPLES / "gatecheck.yaml")]
RAISED = {
    "gatecheck": {
        "config": {
            "params": {
                "vuln_fail_severity": "critical",
                "vuln_fix_available_fail_severity": "critical",
            }
        }
    }
}


def evaluate_all_formats(
    tmp_path: Path,
    bundle: Path,
    *extra: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str, dict[str, str]]:
    """(exit code, stdout as GitHub Actions sees it, stderr, format -> rendered file)."""
    outputs = {fmt: tmp_path / f"out.{fmt}" for fmt in FORMATS if fmt != "github"}
    proc = run_gatecheck(
        "evaluate",
        str(bundle),
        *AT,
        *extra,
        "--format",
        "github",
        *[a for fmt, path in outputs.items() for a in ("--output", f"{fmt}={path}")],
        cwd=cwd,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "", **(env or {})},
    )
    rendered = {fmt: path.read_text(encoding="utf-8") for fmt, path in outputs.items()}
    return proc.returncode, proc.stdout, proc.stderr, rendered


def shown_near_the_top(stdout: str, rendered: dict[str, str]) -> dict[str, str]:
    """Per format, the part of the output that comes before any control's finding."""
    junit = ET.fromstring(rendered["junit"].encode("utf-8"))
    suite = junit.find("testsuite")
    assert suite is not None
    props = " ".join(p.get("value", "") for p in suite.iter("property"))
    first_case = suite.find("testcase")
    first = "" if first_case is None else ET.tostring(first_case, encoding="unicode")
    sarif = json.loads(rendered["sarif"])["runs"][0]
    notes = sarif["invocations"][0].get("toolConfigurationNotifications", [])
    return {
        "text": rendered["text"].split("\n\n", 1)[0],
        "json": rendered["json"],
        "junit": props + "\n" + first,
        "sarif": json.dumps(notes) + json.dumps(sarif["properties"]["weakened"]),
        "github": "\n".join(
            line for line in stdout.splitlines() if line.startswith("::warning title=gatecheck%3A")
        ),
        "markdown": rendered["markdown"].split("\n| | |\n", 1)[0],
        "html": rendered["html"].split("<h2>Release</h2>", 1)[0],
        "oscal": json.dumps(
            json.loads(rendered["oscal"])["assessment-results"]["results"][0]["props"]
        ),
    }


def assert_everywhere(stdout: str, rendered: dict[str, str], *needles: str) -> None:
    top = shown_near_the_top(stdout, rendered)
    assert set(top) == set(FORMATS)
    for fmt, text in top.items():
        for needle in needles:
            assert needle in text, f"{fmt} does not show {needle!r} near the top:\n{text[:3000]}"


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def test_every_control_off_at_production_is_an_error_naming_the_data_file(
    tmp_path: Path,
) -> None:
    passing = run_gatecheck("evaluate", str(EXAMPLE), *AT, *CONFIG, "--format", "json")
    ids = [r["control"] for r in json.loads(passing.stdout)["results"]]
    off = tmp_path / "all-off.json"
    off.write_text(
        json.dumps(
            {
                "gatecheck": {
                    "config": {"stages": {"production": {"enforce": dict.fromkeys(ids, "off")}}}
                }
            }
        )
    )
    code, stdout, stderr, rendered = evaluate_all_formats(
        tmp_path, EXAMPLE, *CONFIG, "--data", str(off)
    )
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and "no control is enforced at production" in stderr
    report = json.loads(rendered["json"])
    assert report["decision"] == "error"
    listed = {w["control"] for w in report["weakened"] if w["kind"] == "enforcement"}
    assert listed >= set(ids)
    assert all(
        w["source"] == f"{off} (--data)" for w in report["weakened"] if w["kind"] == "enforcement"
    )
    assert f"{off} (--data)" in report["config_sources"]
    assert_everywhere(stdout, rendered, "GC-ART-005", str(off))
    assert "error: no control is enforced" in rendered["text"]


def test_the_same_gate_with_one_control_left_enforced_is_not_an_error(tmp_path: Path) -> None:
    passing = run_gatecheck("evaluate", str(EXAMPLE), *AT, *CONFIG, "--format", "json")
    ids = [
        r["control"] for r in json.loads(passing.stdout)["results"] if r["control"] != "GC-ART-001"
    ]
    data = tmp_path / "most-off.json"
    enforce = dict.fromkeys(ids, "warn")
    data.write_text(
        json.dumps({"gatecheck": {"config": {"stages": {"production": {"enforce": enforce}}}}})
    )
    proc = run_gatecheck("evaluate", str(EXAMPLE), *AT, *CONFIG, "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "POLICY WEAKENED AT PRODUCTION" in proc.stdout.split("\n\n", 1)[0]


def test_a_discovered_pyproject_turning_a_control_off_is_named_in_every_format(
    tmp_path: Path,
) -> None:
    config = yaml.safe_load((EXAMPLES / "gatecheck.yaml").read_text())
    config["trusted_keys"] = [{"path": str(EXAMPLES / "keys" / "release-signing.pub")}]
    config["stages"] = {"production": {"enforce": {"GC-ART-005": "off"}}}
    work = tmp_path / "repo"
    work.mkdir()
    pyproject = work / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "app"\n\n[tool.gatecheck]\n'
        + "".join(f"{k} = {toml_value(v)}\n" for k, v in config.items())
    )
    code, stdout, stderr, rendered = evaluate_all_formats(
        tmp_path, EXAMPLES / "variants" / "vulnerable-dependency", cwd=work
    )
    # The vulnerable dependency passes: GC-ART-005 is off, and every format says so and why.
    assert code == 0, stderr
    report = json.loads(rendered["json"])
    item = next(w for w in report["weakened"] if w["control"] == "GC-ART-005")
    assert item == {
        "kind": "enforcement",
        "control": "GC-ART-005",
        "param": None,
        "stage": "production",
        "value": "off",
        "default": "fail",
        "direction": "laxer",
        "source": f"{pyproject} (discovered in the working directory)",
    }
    assert report["config_sources"] == [f"{pyproject} (discovered in the working directory)"]
    assert_everywhere(stdout, rendered, "GC-ART-005", str(pyproject), "discovered in the working")


def test_raised_vulnerability_thresholds_are_listed_as_laxer_in_every_format(
    tmp_path: Path,
) -> None:
    bundle = EXAMPLES / "variants" / "vulnerable-dependency"
    strict = run_gatecheck("evaluate", str(bundle), *AT, *CONFIG)
    assert strict.returncode == 1  # the thresholds below are what turns it into a pass
    raised = tmp_path / "raised.json"
    raised.write_text(json.dumps(RAISED))
    code, stdout, stderr, rendered = evaluate_all_formats(
        tmp_path, bundle, *CONFIG, "--data", str(raised)
    )
    assert code == 0, stderr
    weakened = {w["param"]: w for w in json.loads(rendered["json"])["weakened"]}
    assert weakened["vuln_fail_severity"]["direction"] == "laxer"
    assert weakened["vuln_fail_severity"]["default"] == "high"
    assert weakened["vuln_fix_available_fail_severity"]["default"] == "medium"
    assert weakened["vuln_fail_severity"]["source"] == f"{raised} (--data)"
    assert_everywhere(stdout, rendered, "vuln_fail_severity", "vuln_fix_available_fail_severity")
    assert re.search(
        r"vuln_fail_severity \"critical\" \(default \"high\"\) laxer", rendered["text"]
    )


def test_environment_variables_are_named_as_sources(tmp_path: Path) -> None:
    raised = tmp_path / "raised.json"
    raised.write_text(json.dumps(RAISED))
    code, stdout, stderr, rendered = evaluate_all_formats(
        tmp_path,
        EXAMPLE,
        cwd=tmp_path,
        env={"GATECHECK_DATA": str(raised), "GATECHECK_CONFIG": str(EXAMPLES / "gatecheck.yaml")},
    )
    assert code == 0, stderr
    report = json.loads(rendered["json"])
    assert report["config_sources"] == [
        f"{EXAMPLES / 'gatecheck.yaml'} (env GATECHECK_CONFIG)",
        f"{raised} (env GATECHECK_DATA)",
    ]
    sources = {w["param"]: w["source"] for w in report["weakened"]}
    assert sources["vuln_fail_severity"] == f"{raised} (env GATECHECK_DATA)"
    assert "trusted_signers" not in sources  # trust anchors are configuration, not weakening
    assert_everywhere(stdout, rendered, "env GATECHECK_DATA", "vuln_fail_severity")


@pytest.mark.parametrize("stage", ["staging", "dev"])
def test_a_gate_enforcing_nothing_below_production_still_evaluates(
    tmp_path: Path, stage: str
) -> None:
    passing = run_gatecheck("evaluate", str(EXAMPLE), *AT, *CONFIG, "--format", "json")
    ids = [r["control"] for r in json.loads(passing.stdout)["results"]]
    off = tmp_path / "off.json"
    off.write_text(
        json.dumps(
            {"gatecheck": {"config": {"stages": {stage: {"enforce": dict.fromkeys(ids, "off")}}}}}
        )
    )
    proc = run_gatecheck(
        "evaluate", str(EXAMPLE), "--stage", stage, "--at", AT[3], *CONFIG, "--data", str(off)
    )
    assert proc.returncode == 0, proc.stderr
    assert f"POLICY WEAKENED AT {stage.upper()}" in proc.stdout
