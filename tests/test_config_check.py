"""`gatecheck config show` checks a configuration as `gatecheck evaluate` would: every problem
that would stop evaluate is an error (exit 2), every waiver evaluate would ignore a warning."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import org_control, run_gatecheck
from test_settings import invoke

from gatecheck.engine.config import load_config
from gatecheck.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "payments-api-1.4.0"
AT = "2026-03-05T00:00:00Z"
PEOPLE = {
    "people": [
        {"id": "r.haddad", "roles": ["security"], "aliases": ["r.haddad@example.org"]},
        {"id": "s.nakamura", "roles": ["service-owner"], "aliases": ["s.nakamura@example.org"]},
    ]
}


def waiver(wid: str | None, control: str, granted: str, expires: str, **extra: Any) -> dict:
    found = {
        "control": control,
        "scope": {"release": "payments-api", "vulnerability": f"CVE-2026-{wid or 'x'}"},
        "justification": "reviewed",
        "approver": "r.haddad@example.org",
        "granted": granted,
        "expires": expires,
        **extra,
    }
    return {"id": wid, **found} if wid else found


WAIVERS = [
    waiver("W-UNKNOWN", "GC-ART-05", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z"),
    waiver("W-LONG", "GC-ART-005", "2026-03-01T00:00:00Z", "2026-06-30T00:00:00Z"),
    waiver("W-EXPIRED", "GC-ART-005", "2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z"),
    waiver("W-VALID", "GC-ART-005", "2026-03-01T00:00:00Z", "2026-03-25T00:00:00Z"),
]
CONFIG = {"trust": PEOPLE, "waivers": WAIVERS}


def write(tmp_path: Path, config: dict, name: str = "gatecheck.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def show(tmp_path: Path, config: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return invoke(["config", "show", "--config", str(config), *args], tmp_path, env)


def lines_of(stdout: str, waiver_id: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if f"waiver {waiver_id}:" in line]


def test_each_bad_waiver_is_reported_with_its_id_and_the_valid_one_is_not(tmp_path: Path) -> None:
    result = show(tmp_path, write(tmp_path, CONFIG), "--at", AT)
    assert result.exit_code == 2, result.output
    (long,) = lines_of(result.stdout, "W-LONG")
    assert long.startswith("ERROR") and "more than waiver_max_days (90) days" in long
    (expired,) = lines_of(result.stdout, "W-EXPIRED")
    assert expired.startswith("WARNING") and "expired 2026-01-20T00:00:00Z" in expired
    (unknown,) = lines_of(result.stdout, "W-UNKNOWN")
    assert unknown.startswith("WARNING") and "'GC-ART-05' is not in the policy set" in unknown
    assert "did you mean GC-ART-005" in unknown
    assert lines_of(result.stdout, "W-VALID") == []
    assert "1 errors, 2 warnings" in result.stdout
    assert result.stderr.splitlines() == [
        "gatecheck: error: 1 configuration problem(s) would stop `gatecheck evaluate` "
        "(listed on stdout)"
    ]


def test_json_lists_every_problem_with_waiver_control_and_stages(tmp_path: Path) -> None:
    result = show(tmp_path, write(tmp_path, CONFIG), "--at", AT, "--format", "json")
    assert result.exit_code == 2, result.output
    check = json.loads(result.stdout)["check"]
    assert check["at"] == AT and check["stages"] == ["dev", "staging", "production", "post-deploy"]
    assert (check["errors"], check["warnings"]) == (1, 2)
    by_id = {p["waiver"]: p for p in check["problems"]}
    assert set(by_id) == {"W-LONG", "W-EXPIRED", "W-UNKNOWN"}
    assert set(by_id["W-LONG"]) == {"severity", "waiver", "control", "stages", "message"}
    assert by_id["W-LONG"]["severity"] == "error"
    assert by_id["W-LONG"]["control"] == "GC-ART-005"
    assert by_id["W-LONG"]["stages"] == check["stages"]  # the default 90 days at every stage
    assert by_id["W-EXPIRED"]["stages"] == []  # expiry does not depend on the stage
    assert by_id["W-UNKNOWN"]["control"] == "GC-ART-05"


def test_the_first_error_at_a_stage_is_the_one_evaluate_stops_on(tmp_path: Path) -> None:
    # Production allows 20 days: W-UNKNOWN and W-EXPIRED (19 days) qualify, W-LONG (121)
    # and W-VALID (24) do not.
    config = copy.deepcopy(CONFIG)
    config["stages"] = {"production": {"params": {"waiver_max_days": 20}}}
    path = write(tmp_path, config)
    check = json.loads(show(tmp_path, path, "--at", AT, "--format", "json").stdout)["check"]
    at_production = [
        p for p in check["problems"] if p["severity"] == "error" and "production" in p["stages"]
    ]
    assert [p["waiver"] for p in at_production] == ["W-LONG", "W-VALID"]
    assert "(20) days" in at_production[0]["message"]
    # W-LONG says 90 days at the other stages and 20 at production: two problems.
    assert [p["stages"] for p in check["problems"] if p["waiver"] == "W-LONG"] == [
        ["dev", "staging", "post-deploy"],
        ["production"],
    ]
    evaluated = run_gatecheck(
        "evaluate", str(EXAMPLE), "--stage", "production", "--config", str(path), "--at", AT
    )
    assert evaluated.returncode == 2
    assert evaluated.stderr.strip() == f"gatecheck: error: {at_production[0]['message']}"


def test_stage_limits_the_check_to_that_stage(tmp_path: Path) -> None:
    config = copy.deepcopy(CONFIG)
    config["stages"] = {"production": {"params": {"waiver_max_days": 15}}}
    path = write(tmp_path, config)
    dev = json.loads(show(tmp_path, path, "--at", AT, "--stage", "dev", "--format", "json").stdout)
    assert dev["check"]["stages"] == ["dev"]
    assert [p["waiver"] for p in dev["check"]["problems"] if p["severity"] == "error"] == ["W-LONG"]
    from_env = show(tmp_path, path, "--at", AT, "--format", "json", env={"GATECHECK_STAGE": "dev"})
    assert json.loads(from_env.stdout)["check"] == dev["check"]


def test_warnings_alone_exit_0_as_evaluate_goes_on(tmp_path: Path) -> None:
    config = {"trust": PEOPLE, "waivers": [WAIVERS[0], WAIVERS[2], WAIVERS[3]]}
    path = write(tmp_path, config)
    result = show(tmp_path, path, "--at", AT)
    assert result.exit_code == 0, result.output
    assert "0 errors, 2 warnings" in result.stdout and result.stderr == ""
    evaluated = run_gatecheck(
        "evaluate", str(EXAMPLE), "--stage", "production", "--config", str(path), "--at", AT
    )
    assert evaluated.returncode != 2, evaluated.stderr


def test_at_decides_which_waivers_are_expired_or_not_yet_granted(tmp_path: Path) -> None:
    path = write(tmp_path, {"trust": PEOPLE, "waivers": [WAIVERS[3]]})
    now = show(tmp_path, path, "--at", AT)
    assert now.exit_code == 0 and lines_of(now.stdout, "W-VALID") == []
    later = show(tmp_path, path, "--at", "2026-03-25T00:00:00Z")  # expiry is exclusive
    (line,) = lines_of(later.stdout, "W-VALID")
    assert "expired 2026-03-25T00:00:00Z" in line and later.exit_code == 0
    earlier = show(tmp_path, path, "--at", "2026-02-28T23:59:59Z")
    (line,) = lines_of(earlier.stdout, "W-VALID")
    assert "granted 2026-03-01T00:00:00Z, after 2026-02-28T23:59:59Z" in line
    bad = show(tmp_path, path, "--at", "next tuesday")
    assert bad.exit_code == 2 and "--at" in bad.stderr


def test_every_waiver_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    wrong_role = waiver("W-ROLE", "GC-ART-005", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    wrong_role["approver"] = "s.nakamura@example.org"
    stranger = waiver("W-STRANGER", "GC-ART-005", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    stranger["approver"] = "someone@example.org"
    release_wide = waiver(None, "GC-TST-001", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    release_wide["scope"] = {"release": "payments-api"}
    backwards = waiver("W-BACKWARDS", "GC-ART-005", "2026-03-20T00:00:00Z", "2026-03-01T00:00:00Z")
    unwaivable = waiver("W-SIG", "GC-ART-002", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    bad_time = waiver("W-TIME", "GC-ART-005", "March 1st", "2026-03-20T00:00:00Z")
    waivers = [wrong_role, stranger, release_wide, backwards, unwaivable, bad_time]
    path = write(tmp_path, {"trust": PEOPLE, "waivers": waivers})
    result = show(tmp_path, path, "--at", AT, "--format", "json")
    assert result.exit_code == 2
    errors = [p for p in json.loads(result.stdout)["check"]["problems"] if p["severity"] == "error"]
    assert [p["waiver"] for p in errors] == [
        "W-ROLE",
        "W-STRANGER",
        None,
        "W-BACKWARDS",
        "W-SIG",
        "W-TIME",
    ]
    messages = [p["message"] for p in errors]
    assert "holds none of the roles" in messages[0]
    assert "'someone@example.org' is not a person" in messages[1]
    assert messages[2].startswith("waiver for GC-TST-001 (release=payments-api): a release-wide")
    assert errors[2]["control"] == "GC-TST-001"
    assert "before it was granted" in messages[3]
    assert "GC-ART-002 is not waivable" in messages[4]
    assert "W-TIME: granted time" in messages[5]


def test_a_lowercase_control_id_is_unknown_as_evaluate_matches_exactly(tmp_path: Path) -> None:
    lower = waiver("W-LOWER", "gc-art-005", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    result = show(tmp_path, write(tmp_path, {"trust": PEOPLE, "waivers": [lower]}), "--at", AT)
    assert result.exit_code == 0
    (line,) = lines_of(result.stdout, "W-LOWER")
    assert "'gc-art-005' is not in the policy set" in line and "did you mean GC-ART-005" in line


def test_an_org_control_is_known_through_the_policy_set(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "extra.rego").write_text(org_control(), encoding="utf-8")
    org_waiver = waiver("W-ORG", "ORG-1", "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z")
    path = write(tmp_path, {"trust": PEOPLE, "waivers": [org_waiver]})
    without = show(tmp_path, path, "--at", AT)
    assert "'ORG-1' is not in the policy set" in without.stdout
    with_org = show(tmp_path, path, "--at", AT, "--policy", str(org))
    assert with_org.exit_code == 0 and "0 errors, 0 warnings" in with_org.stdout


def test_every_parameter_and_model_problem_is_listed(tmp_path: Path) -> None:
    params = {"waiver_max_days": "30", "require_authenticated_evidence": "yes"}
    path = write(tmp_path, {"trust": PEOPLE, "params": params, "waivers": [WAIVERS[3]]})
    result = show(tmp_path, path, "--at", AT)
    assert result.exit_code == 2
    assert "parameter waiver_max_days must be a whole number of days" in result.stdout
    assert "parameter require_authenticated_evidence must be true or false" in result.stdout
    assert "2 errors" in result.stdout
    broken = copy.deepcopy(WAIVERS)
    del broken[0]["expires"]
    broken[2]["approved_by"] = "r.haddad"
    path = write(tmp_path, {"trust": PEOPLE, "waivers": broken}, "broken.yaml")
    result = show(tmp_path, path, "--format", "json")
    assert result.exit_code == 2
    messages = [p["message"] for p in json.loads(result.stdout)["check"]["problems"]]
    assert messages == [
        f"config {path}: waivers.0.expires: Field required",
        f"config {path}: waivers.2.approved_by: Extra inputs are not permitted",
    ]
    with pytest.raises(ConfigError, match=r"waivers\.0\.expires: Field required \(and 1 more\)"):
        load_config(path)


def test_an_unreadable_trust_key_is_an_error(tmp_path: Path) -> None:
    config = copy.deepcopy(CONFIG)
    config["trusted_keys"] = [{"path": "keys/missing.pub"}]
    result = show(tmp_path, write(tmp_path, config), "--at", AT)
    assert result.exit_code == 2
    assert "missing.pub cannot be read" in result.stdout
    assert "W-LONG" in result.stdout  # the waivers are still checked


def test_without_a_configuration_file_there_is_nothing_to_report(tmp_path: Path) -> None:
    result = invoke(["config", "show", "--format", "json"], tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["check"]["problems"] == []


def test_with_the_server_engine_control_ids_are_read_locally(tmp_path: Path) -> None:
    # Nothing listens on port 9: reading the catalog from the server would fail (and, in
    # upload mode, replace the server's modules).
    env = {"GATECHECK_ENGINE": "server", "GATECHECK_OPA_URL": "http://127.0.0.1:9"}
    result = show(tmp_path, write(tmp_path, CONFIG), "--at", AT, env=env)
    assert result.exit_code == 2
    assert "'GC-ART-05' is not in the policy set" in result.stdout
    assert "not checked" not in result.stdout


def test_control_ids_that_cannot_be_read_are_a_warning_saying_so(tmp_path: Path) -> None:
    env = {"GATECHECK_ENGINE": "opa", "GATECHECK_OPA_PATH": str(tmp_path / "no-opa")}
    config = {"trust": PEOPLE, "waivers": [WAIVERS[0]]}
    result = show(tmp_path, write(tmp_path, config), "--at", AT, env=env)
    assert result.exit_code == 0
    (line,) = [line for line in result.stdout.splitlines() if "not checked" in line]
    assert line.strip().startswith("WARNING  waived controls not checked: ")
    assert "GC-ART-05" not in result.stdout  # nothing claimed about the control either way
