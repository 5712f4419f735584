"""gatecheck's own record types: validation, normalization and their published JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from gatecheck.cli.main import cli, main
from gatecheck.evidence import safe
from gatecheck.evidence.records.models import (
    KINDS,
    RECORD_TYPES,
    Approval,
    ChangeRecord,
    DataClone,
    MaskingAttestation,
    ReleaseManifest,
)

DATA = Path(__file__).parent / "data" / "governance"
FOREIGN_FORMATS = {"github-pr-reviews.json", "servicenow-cmdb-ci.json"}
EXAMPLES = sorted(
    p for p in DATA.iterdir() if p.suffix in (".json", ".yaml") and p.name not in FOREIGN_FORMATS
)


def load(path: Path):
    return safe.load_structured(path.read_bytes(), name=path.name)


def change(**overrides):
    base = {
        "kind": "ChangeRecord",
        "id": "CHG1",
        "release": {"name": "payments-api", "version": "2.4.0"},
        "status": "approved",
    }
    return {**base, **overrides}


def approval(**overrides):
    base = {"approver": "a@example.org", "decision": "approved", "time": "2026-03-01T10:00:00Z"}
    return {**base, **overrides}


def published_schema(type_name: str) -> dict:
    result = CliRunner().invoke(cli, ["schema", type_name])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


SCHEMA_NAME = {model.model_fields["kind"].default: name for name, model in RECORD_TYPES.items()}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_published_schema_accepts_every_example_record(path: Path) -> None:
    value = load(path)
    items = value if isinstance(value, list) else [value]
    for item in items:
        schema = published_schema(SCHEMA_NAME[item["kind"]])
        jsonschema_rs.validator_for(schema).validate(item)
        KINDS[item["kind"]].model_validate(item)


@pytest.mark.parametrize("name", [*sorted(RECORD_TYPES), "bundle-manifest"])
def test_published_schema_is_valid_json_schema_refusing_unknown_fields(name: str) -> None:
    schema = published_schema(name)
    assert jsonschema_rs.meta.is_valid(schema)
    assert schema["$id"] == f"https://gatecheck.dev/{name}/v1"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(RECORD_TYPES))
def test_published_schema_pins_kind_and_api_version(name: str) -> None:
    schema = published_schema(name)
    model = RECORD_TYPES[name]
    assert schema["properties"]["kind"]["const"] == model.model_fields["kind"].default
    validator = jsonschema_rs.validator_for(schema)
    assert not validator.is_valid({"apiVersion": "gatecheck.dev/v2"})


def test_schema_of_unknown_type_exits_2_with_one_line(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "approvals"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("gatecheck: error: unknown type 'approvals'; known: approval,")
    assert err.count("\n") == 1


def test_schema_without_type_lists_every_type() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.output.split() == sorted([*RECORD_TYPES, "bundle-manifest", "config"])


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="approvr"):
        Approval.model_validate(approval(approvr="typo@example.org"))


def test_other_api_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="apiVersion"):
        ChangeRecord.model_validate(change(apiVersion="gatecheck.dev/v2"))


def test_kind_must_match_the_model() -> None:
    with pytest.raises(ValidationError, match="kind"):
        ChangeRecord.model_validate(change(kind="Approval"))


def test_times_are_normalized_to_utc() -> None:
    facts = Approval.model_validate(approval(time="2026-03-01T16:20:00+01:00")).facts()
    assert facts["time"] == "2026-03-01T15:20:00Z"


def test_time_without_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="no timezone"):
        Approval.model_validate(approval(time="2026-03-01T16:20:00"))


def test_unparseable_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an RFC 3339"):
        DataClone.model_validate(
            {"dataset": "d", "from": "production", "to": "qa", "time": "yesterday"}
        )


def test_due_date_may_be_a_date() -> None:
    record = ChangeRecord.model_validate(
        change(emergency={"postmortem_due": "2026-03-12"}, cab_review_due="2026-03-09")
    )
    assert record.facts()["emergency"]["postmortem_due"] == "2026-03-12T00:00:00Z"
    assert record.facts()["cab_review_due"] == "2026-03-09T00:00:00Z"


def test_impossible_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a calendar date"):
        ChangeRecord.model_validate(change(cab_review_due="2026-02-30"))


def test_planned_window_ending_before_it_starts_is_refused() -> None:
    window = {"start": "2026-03-04T12:00:00Z", "end": "2026-03-04T13:00:00+02:00"}
    with pytest.raises(ValidationError, match="before it starts"):
        ChangeRecord.model_validate(change(planned_window=window))


def test_masked_flag_must_be_a_real_boolean() -> None:
    value = load(DATA / "masking-attestation.yaml")
    value["fields"][1]["masked"] = "yes"
    with pytest.raises(ValidationError, match="masked"):
        MaskingAttestation.model_validate(value)


@pytest.mark.parametrize(
    ("template", "pre_approved", "name"),
    [
        ("std-web-config", True, "std-web-config"),
        (True, True, None),
        (False, False, None),
        ("", False, None),
        (None, False, None),
    ],
)
def test_pre_approved_template_facts(template, pre_approved: bool, name: str | None) -> None:
    facts = ChangeRecord.model_validate(change(pre_approved_template=template)).facts()
    assert facts["pre_approved"] is pre_approved
    assert facts["pre_approved_template"] == name


def test_approval_type_is_the_facts_kind() -> None:
    facts = Approval.model_validate(approval(type="uat")).facts()
    assert facts["kind"] == "uat"
    assert "type" not in facts and "approval_type" not in facts


def test_approval_kind_defaults_to_change() -> None:
    assert Approval.model_validate(approval()).facts()["kind"] == "change"


def test_release_manifest_carries_governance_fields() -> None:
    facts = ReleaseManifest.model_validate(load(DATA / "release-manifest.yaml")).facts()
    assert facts["class"] == "major"
    assert facts["change_id"] == "CHG0031337"
    assert facts["artifacts"][0]["regulated"] == ["pci", "pii"]
    assert facts["artifacts"][0]["audit_logging"] == {
        "enabled": True,
        "attested_by": "j.okafor@example.org",
        "attested_at": "2026-03-02T09:15:00Z",
        "reference": "https://wiki.example.org/payments/audit-logging",
    }
    assert facts["artifacts"][1]["audit_logging"] is None  # unset fields are null, never absent
    assert facts["snapshots"]["data_snapshot_id"] == "rds:payments-prod-2026-03-04-0915"
    assert "apiVersion" not in facts and "kind" not in facts


def test_data_clone_facts_use_wire_names() -> None:
    facts = DataClone.model_validate(
        {"dataset": "d", "from": "production", "to": "qa", "time": "2026-03-01T00:00:00Z"}
    ).facts()
    assert (facts["from"], facts["to"]) == ("production", "qa")
