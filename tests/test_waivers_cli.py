"""A pipeline owner's attempts to waive a gate green, end to end through `gatecheck evaluate`:
each is refused with exit 2 and one line naming the waiver, never a pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DATA, make_bundle, run_gatecheck

AT = "2026-03-05T10:00:00Z"
DIRECTORY = {
    "people": [
        {"id": "m.ferreira", "roles": ["ciso"], "aliases": ["ciso@example.org"]},
        {"id": "d.novak", "roles": ["developer"], "aliases": ["dev@example.org"]},
    ]
}


def waiver(**changes: Any) -> dict[str, Any]:
    return {
        "id": "WVR-7",
        "control": "GC-TST-001",
        "scope": {"release": "payments-api", "version": "1.4.0"},
        "justification": "integration suite moved to the nightly pipeline",
        "approver": "ciso@example.org",
        "granted": "2026-03-01T00:00:00Z",
        "expires": "2026-04-15T00:00:00Z",
        **changes,
    }


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Unit tests only: GC-TST-001 fails at staging for want of an integration suite.
    root = tmp_path_factory.mktemp("waivers")
    return make_bundle(
        root / "bundle", [DATA / "junit" / "jest-junit-2-passed.xml"], labels={"kind": "unit"}
    )


def evaluate(bundle: Path, tmp_path: Path, *waivers: dict[str, Any]):  # noqa: ANN201
    config = tmp_path / "gatecheck.yaml"
    config.write_text(yaml.safe_dump({"trust": DIRECTORY, "waivers": list(waivers)}))
    return run_gatecheck(
        "evaluate", str(bundle), "--stage", "staging", "--at", AT,
        "--config", str(config), "--format", "json",
    )  # fmt: skip


def test_a_qualified_waiver_waives_the_failure(bundle: Path, tmp_path: Path) -> None:
    proc = evaluate(bundle, tmp_path)
    report = json.loads(proc.stdout)
    statuses = {r["control"]: r["status"] for r in report["results"]}
    assert statuses["GC-TST-001"] == "fail"  # the gate the waiver is for really fails
    proc = evaluate(bundle, tmp_path, waiver())
    report = json.loads(proc.stdout)
    statuses = {r["control"]: r["status"] for r in report["results"]}
    assert statuses["GC-TST-001"] == "waived"
    assert [w["id"] for w in report["waivers"]["applied"]] == ["WVR-7"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # The attempt: blank approver, release-wide, expiry 9999.
        (
            {
                "approver": " ",
                "scope": {"release": "payments-api"},
                "expires": "9999-12-31T00:00:00Z",
            },
            "release-wide waiver is refused",
        ),
        ({"approver": " "}, "the approver is blank"),
        ({"expires": "9999-12-31T00:00:00Z"}, "more than waiver_max_days (90) days after"),
        ({"approver": "cab@example.org"}, "is not a person in the trust policy's directory"),
        ({"approver": "dev@example.org"}, "holds none of the roles in waiver_approver_roles"),
        ({"control": "GC-ART-002"}, "GC-ART-002 is not waivable"),
        ({"scope": {"release": "payments-api"}}, "release-wide waiver is refused"),
    ],
)
def test_a_waiver_that_does_not_qualify_stops_the_evaluation(
    bundle: Path, tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    proc = evaluate(bundle, tmp_path, waiver(), waiver(id="WVR-8", **changes))
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "waiver WVR-8" in proc.stderr and reason in proc.stderr
    assert json.loads(proc.stdout)["decision"] == "error"


@pytest.mark.parametrize(("missing", "field"), [("granted", "granted"), ("expires", "expires")])
def test_a_waiver_without_a_grant_or_expiry_is_a_config_error(
    bundle: Path, tmp_path: Path, missing: str, field: str
) -> None:
    incomplete = {k: v for k, v in waiver().items() if k != missing}
    proc = evaluate(bundle, tmp_path, incomplete)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and f"waivers.0.{field}: Field required" in proc.stderr


def test_without_a_directory_no_waiver_qualifies(bundle: Path, tmp_path: Path) -> None:
    config = tmp_path / "gatecheck.yaml"
    config.write_text(yaml.safe_dump({"waivers": [waiver()]}))
    proc = run_gatecheck(
        "evaluate", str(bundle), "--stage", "staging", "--at", AT, "--config", str(config)
    )
    assert proc.returncode == 2 and "not a person in the trust policy's directory" in proc.stderr


def test_raising_waiver_max_days_is_listed_as_weakening(bundle: Path, tmp_path: Path) -> None:
    config = tmp_path / "gatecheck.yaml"
    long = waiver(expires="2026-12-01T00:00:00Z")
    settings = {"trust": DIRECTORY, "waivers": [long], "params": {"waiver_max_days": 365}}
    config.write_text(yaml.safe_dump(settings))
    proc = run_gatecheck(
        "evaluate", str(bundle), "--stage", "staging", "--at", AT,
        "--config", str(config), "--format", "json",
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert report["decision"] != "error", report["error"]
    weakened = [w for w in report["weakened"] if "waiver_max_days" in json.dumps(w)]
    assert weakened, report["weakened"]
