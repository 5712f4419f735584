"""Configuration discovery and precedence: flags > GATECHECK_* environment > gatecheck.toml or
[tool.gatecheck] in pyproject.toml > defaults, and `gatecheck config show` saying which."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from formats_support import EFFECTIVE, realistic, realistic_config

from gatecheck.cli.main import cli
from gatecheck.engine.config import SETTINGS_KEYS, load_config
from gatecheck.engine.settings import SPECS, discover_config_file, resolve
from gatecheck.errors import ConfigError

TOML = """
engine = "opa"
timeout = 12.5
format = "json"
policy = ["org-policies"]
output = ["junit=out/gate.xml"]

[params]
coverage_min = 85

[[waivers]]
control = "GC-ART-008"
scope = { release = "payments-api", version = "2.4.0" }
justification = "legacy artifact names until 2.5"
approver = "release-manager@example.org"
granted = "2026-03-01T00:00:00Z"
expires = "2026-05-30T00:00:00Z"
"""


def toml_inline(value: Any) -> str:
    """``value`` as a one-line TOML value (JSON strings are valid TOML basic strings)."""
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {toml_inline(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(toml_inline(v) for v in value) + "]"
    return json.dumps(value)


def invoke(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    """The CLI in-process, in ``cwd``, with only the given GATECHECK_* variables set."""
    clean = {k: None for k in os.environ if k.startswith("GATECHECK_")}
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, env={**clean, **(env or {})}, prog_name="gatecheck")
    finally:
        os.chdir(old)


def test_every_file_setting_is_ignored_by_the_policy_configuration() -> None:
    assert {s.name for s in SPECS if s.in_file} == set(SETTINGS_KEYS)


def test_gatecheck_toml_in_the_working_directory_is_discovered(tmp_path: Path) -> None:
    assert discover_config_file(tmp_path) is None
    (tmp_path / "gatecheck.toml").write_text(TOML, encoding="utf-8")
    assert discover_config_file(tmp_path) == tmp_path / "gatecheck.toml"
    resolved = resolve(environ={}, cwd=tmp_path)
    assert resolved.config_source == "discovered in the working directory"
    assert resolved.value("engine") == "opa"
    assert resolved.value("timeout") == 12.5
    # relative paths are relative to the file, not to wherever gatecheck runs
    assert resolved.value("policy") == [str(tmp_path / "org-policies")]
    assert resolved.value("output") == [f"junit={tmp_path / 'out' / 'gate.xml'}"]


def test_pyproject_counts_only_with_a_tool_gatecheck_table(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert discover_config_file(tmp_path) is None
    pyproject.write_text(
        '[project]\nname = "x"\n\n[tool.gatecheck]\nengine = "server"\n'
        'opa_url = "http://127.0.0.1:8181"\n\n[tool.gatecheck.params]\ncoverage_min = 70\n',
        encoding="utf-8",
    )
    assert discover_config_file(tmp_path) == pyproject
    resolved = resolve(environ={}, cwd=tmp_path)
    assert resolved.settings["engine"].source == f"file {pyproject}"
    config, _ = load_config(pyproject)
    assert config.params == {"coverage_min": 70}
    (tmp_path / "gatecheck.toml").write_text('engine = "opa"\n', encoding="utf-8")
    assert discover_config_file(tmp_path) == tmp_path / "gatecheck.toml"


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path: Path) -> None:
    (tmp_path / "gatecheck.toml").write_text(TOML, encoding="utf-8")
    env = {"GATECHECK_ENGINE": "embedded", "GATECHECK_TIMEOUT": "30", "GATECHECK_STAGE": "dev"}
    resolved = resolve(flags={"engine": "server"}, environ=env, cwd=tmp_path)
    s = resolved.settings
    assert (s["engine"].value, s["engine"].source) == ("server", "flag")
    assert (s["timeout"].value, s["timeout"].source) == (30.0, "env GATECHECK_TIMEOUT")
    assert (s["format"].value, s["format"].source) == (
        "json",
        f"file {tmp_path / 'gatecheck.toml'}",
    )
    assert (s["opa_server_mode"].value, s["opa_server_mode"].source) == ("bundle", "default")
    assert (s["stage"].value, s["stage"].source) == ("dev", "env GATECHECK_STAGE")


def test_environment_lists_are_split(tmp_path: Path) -> None:
    env = {
        "GATECHECK_POLICY": os.pathsep.join(["a", "b"]),
        "GATECHECK_OUTPUT": "junit=x.xml  sarif=y.sarif",
    }
    resolved = resolve(environ=env, cwd=tmp_path)
    assert resolved.value("policy") == ["a", "b"]
    assert resolved.value("output") == ["junit=x.xml", "sarif=y.sarif"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('engine = "docker"\n', "engine must be one of embedded, opa, server"),
        ("timeout = -1\n", "timeout must be greater than 0"),
        ('timeout = "soon"\n', "timeout must be a number"),
        ('policy = "dir"\n', "policy must be a list"),
        ('stage = "production"\n', "stage cannot be set in a file; use --stage or GATECHECK_STAGE"),
        ("engine = [\n", "gatecheck.toml"),
    ],
)
def test_invalid_settings_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "gatecheck.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="gatecheck.toml") as info:
        resolve(environ={}, cwd=tmp_path)
    assert message in str(info.value)


def test_invalid_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="environment GATECHECK_TIMEOUT: timeout must be a number"
    ):
        resolve(environ={"GATECHECK_TIMEOUT": "fast"}, cwd=tmp_path)


def test_config_show_prints_each_value_and_its_source(tmp_path: Path) -> None:
    (tmp_path / "gatecheck.toml").write_text(TOML, encoding="utf-8")
    (tmp_path / "org-policies").mkdir()
    result = invoke(["config", "show"], tmp_path, {"GATECHECK_TIMEOUT": "45"})
    # The settings are shown even when the check finds what would stop evaluate: here the
    # waiver's approver, as the file names no trust policy.
    assert result.exit_code == 2, result.output
    assert "approver 'release-manager@example.org' is not a person" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"configuration file: {tmp_path / 'gatecheck.toml'} (discovered in the working directory)"
    )
    row = {line.split()[0]: line for line in lines[2:] if line and not line.startswith("policy ")}
    assert "opa" in row["engine"] and f"file {tmp_path / 'gatecheck.toml'}" in row["engine"]
    assert "45.0" in row["timeout"] and "env GATECHECK_TIMEOUT" in row["timeout"]
    assert "bundle" in row["opa_server_mode"] and "default" in row["opa_server_mode"]
    assert "1 waivers" in result.stdout and "1 params" in result.stdout
    as_json = json.loads(invoke(["config", "show", "--format", "json"], tmp_path).stdout)
    assert as_json["settings"]["format"] == {
        "value": "json",
        "source": f"file {tmp_path / 'gatecheck.toml'}",
        "env": "GATECHECK_FORMAT",
    }


def test_config_show_without_any_file(tmp_path: Path) -> None:
    result = invoke(["config", "show"], tmp_path)
    assert result.exit_code == 0
    assert "configuration file: none" in result.stdout
    assert all("file " not in line for line in result.stdout.splitlines()[1:])


def test_config_show_reports_a_broken_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "gatecheck.toml").write_text("timeout = 0\n", encoding="utf-8")
    result = invoke(["config", "show"], tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("gatecheck: error: config ")
    assert "timeout must be greater than 0" in result.stderr


def test_evaluate_takes_format_and_waivers_from_the_discovered_file(tmp_path: Path) -> None:
    report, bundle, _ = realistic()
    waived = next(r for r in report["results"] if r["status"] == "waived")
    trust = toml_inline(realistic_config()["trust"])
    (tmp_path / "gatecheck.toml").write_text(
        f'format = "json"\ntrust = {trust}\n\n[[waivers]]\n'
        f'control = "{waived["control"]}"\n'
        'scope = { release = "payments-api", version = "2.4.0" }\n'
        'justification = "reviewed"\napprover = "ciso@example.org"\n'
        'granted = "2026-03-04T00:00:00Z"\nexpires = "2026-05-30T00:00:00Z"\n',
        encoding="utf-8",
    )
    args = ["evaluate", str(bundle), "--stage", "production", "--at", EFFECTIVE]
    from_file = invoke(args, tmp_path)
    assert from_file.exit_code == 1, from_file.output
    doc = json.loads(from_file.stdout)  # format from the file
    assert {r["control"]: r["status"] for r in doc["results"]}[waived["control"]] == "waived"
    from_env = invoke(args, tmp_path, {"GATECHECK_FORMAT": "junit"})
    assert from_env.stdout.startswith("<?xml")  # environment beats the file
    from_flag = invoke([*args, "--format", "markdown"], tmp_path, {"GATECHECK_FORMAT": "junit"})
    assert from_flag.stdout.startswith("## ")  # the flag beats both


def test_shell_completion_script_is_generated() -> None:
    result = CliRunner().invoke(
        cli, [], env={"_GATECHECK_COMPLETE": "bash_source"}, prog_name="gatecheck"
    )
    assert result.exit_code == 0
    assert "_gatecheck_completion()" in result.stdout
    assert "complete -o nosort -F _gatecheck_completion gatecheck" in result.stdout
