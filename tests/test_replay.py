"""Replaying reports: same inputs give identical outcomes; other inputs are refused by name."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import DATA, make_bundle

from gatecheck.cli.main import cli
from gatecheck.engine.replay import compare, policy_differences
from gatecheck.evidence.signing.keys import private_key_pem

ORG_POLICY = """package org.helpers

import rego.v1

# An organisation helper module: part of the policy set, so part of its digest.
release_owner := "payments-team"
"""


@dataclass
class Reports:
    root: Path
    bundle: Path
    org: Path
    config: Path
    passing: Path
    failing: Path
    failing_report: dict


def _invoke(*args: str):  # noqa: ANN202 - click Result
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    root = tmp_path_factory.mktemp("replay")
    bundle = make_bundle(
        root / "bundle", [DATA / "junit" / "jest-junit-2-passed.xml"], labels={"kind": "unit"}
    )
    org = root / "policies" / "org"
    org.mkdir(parents=True)
    (org / "helpers.rego").write_text(ORG_POLICY)
    key = root / "release.key"
    key.write_text(private_key_pem(ed25519.Ed25519PrivateKey.generate()))

    failing = root / "failing.dsse.json"
    result = _invoke(
        "evaluate",
        bundle,
        "--stage",
        "production",
        "--policy",
        org,
        "--format",
        "json",
        "--report",
        failing,
        "--sign-key",
        key,
    )
    failing_report = json.loads(result.stdout)
    assert failing_report["decision"] == "fail", failing_report.get("error")

    # Every failing control warns instead at production: a passing gate, same evidence (the
    # passing ones stay enforced: a production gate that enforces nothing is an error).
    config = root / "gatecheck.yaml"
    enforce = {r["control"]: "warn" for r in failing_report["results"] if r["status"] == "fail"}
    config.write_text(yaml.safe_dump({"stages": {"production": {"enforce": enforce}}}))
    passing = root / "passing.json"
    result = _invoke(
        "evaluate",
        bundle,
        "--stage",
        "production",
        "--policy",
        org,
        "--config",
        config,
        "--report",
        passing,
    )
    assert json.loads(passing.read_text())["decision"] == "pass", result.output
    return Reports(root, bundle, org, config, passing, failing, failing_report)


def test_replay_of_a_passing_report_gives_identical_results(reports: Reports) -> None:
    result = _invoke(
        "report",
        "replay",
        reports.passing,
        "--bundle",
        reports.bundle,
        "--policy",
        reports.org,
        "--config",
        reports.config,
    )
    assert result.exit_code == 0, result.output
    assert ": IDENTICAL (decision pass -> pass)" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    controls = json.loads(reports.passing.read_text())["results"]
    assert len(lines) == len(controls) > 0
    assert all(line.strip().startswith("identical") for line in lines)


def test_replay_of_a_failing_signed_report_gives_identical_results(reports: Reports) -> None:
    result = _invoke(
        "report", "replay", reports.failing, "--bundle", reports.bundle, "--policy", reports.org
    )
    assert result.exit_code == 0, result.output
    assert ": IDENTICAL (decision fail -> fail)" in result.stdout
    failed = [r["control"] for r in reports.failing_report["results"] if r["status"] == "fail"]
    for control in failed:
        assert f"identical {control:<12} fail" in result.stdout


def test_replay_after_a_policy_edit_is_refused_naming_the_file(
    reports: Reports, tmp_path: Path
) -> None:
    edited = tmp_path / "org"
    shutil.copytree(reports.org, edited)
    (edited / "helpers.rego").write_text(ORG_POLICY.replace("payments-team", "platform-team"))
    result = _invoke(
        "report", "replay", reports.failing, "--bundle", reports.bundle, "--policy", edited
    )
    assert result.exit_code == 2
    assert "cannot replay" in result.stderr
    assert "org/helpers.rego differs" in result.stderr


def test_replay_with_a_missing_or_extra_policy_file_is_refused_naming_each(
    reports: Reports, tmp_path: Path
) -> None:
    missing = _invoke("report", "replay", reports.failing, "--bundle", reports.bundle)
    assert missing.exit_code == 2
    assert "org/helpers.rego is missing" in missing.stderr

    extra = tmp_path / "extra.json"
    extra.write_text('{"org": {"owner": "x"}}')
    added = _invoke(
        "report",
        "replay",
        reports.failing,
        "--bundle",
        reports.bundle,
        "--policy",
        reports.org,
        "--data",
        extra,
    )
    assert added.exit_code == 2
    assert "data/extra.json is extra" in added.stderr


def test_replay_with_another_config_overlay_is_refused(reports: Reports) -> None:
    # The failing report was made without the config; its enforcement overlay changes the data.
    result = _invoke(
        "report",
        "replay",
        reports.failing,
        "--bundle",
        reports.bundle,
        "--policy",
        reports.org,
        "--config",
        reports.config,
    )
    assert result.exit_code == 2
    assert "the stage profiles differ" in result.stderr


def test_replay_against_another_bundle_is_refused(reports: Reports, tmp_path: Path) -> None:
    other = make_bundle(
        tmp_path / "other",
        [DATA / "junit" / "pytest-5-tests-1-failure-1-skipped.xml"],
        labels={"kind": "unit"},
    )
    result = _invoke(
        "report", "replay", reports.failing, "--bundle", other, "--policy", reports.org
    )
    assert result.exit_code == 2
    assert "is not the report's bundle" in result.stderr


def test_replay_shows_which_control_outcome_differs_and_exits_1(
    reports: Reports, tmp_path: Path
) -> None:
    report = json.loads(reports.passing.read_text())
    changed = report["results"][0]
    changed["status"] = "fail" if changed["status"] != "fail" else "pass"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(report))
    result = _invoke(
        "report",
        "replay",
        altered,
        "--bundle",
        reports.bundle,
        "--policy",
        reports.org,
        "--config",
        reports.config,
    )
    assert result.exit_code == 1, result.output
    assert ": DIFFERENT" in result.stdout
    assert f"DIFFERS   {changed['control']:<12}" in result.stdout
    assert "(status)" in result.stdout
    untouched = [r["control"] for r in report["results"][1:]]
    for control in untouched:
        assert f"identical {control:<12}" in result.stdout


def test_compare_and_policy_differences_name_every_difference() -> None:
    before = {
        "decision": "fail",
        "results": [
            {"control": "GC-A", "status": "fail", "messages": ["x"]},
            {"control": "GC-B", "status": "pass"},
        ],
    }
    after = {
        "decision": "pass",
        "results": [
            {"control": "GC-A", "status": "fail", "messages": ["y"]},
            {"control": "GC-C", "status": "pass"},
        ],
    }
    result = compare(before, after)
    assert not result.identical
    assert result.field_differences == ["decision"]
    by_control = {c.control: c for c in result.controls}
    assert by_control["GC-A"].differences == ["messages"]
    assert by_control["GC-B"].differences == ["only in the report"]
    assert by_control["GC-C"].differences == ["only in the replay"]
    assert compare(before, before).identical

    recorded = [
        {"path": "builtin/a.rego", "sha256": "1" * 64},
        {"path": "org/b.rego", "sha256": "2" * 64},
    ]
    current = [
        {"path": "builtin/a.rego", "sha256": "3" * 64},
        {"path": "data/c.json", "sha256": "4" * 64},
    ]
    assert policy_differences(recorded, current) == [
        f"builtin/a.rego differs (sha256 {'3' * 16}..., the report's {'1' * 16}...)",
        "data/c.json is extra (the report was made without it)",
        "org/b.rego is missing (the report was made with it)",
    ]
