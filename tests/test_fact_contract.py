"""The fact contract between parsers and policies: every record's facts carry every declared
field (null when absent), match the published facts schema, and the Rego tests of the
controls that judge absent facts take their inputs from facts the parsers produced."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from fact_fixtures import SOURCE, TARGET, fixtures, render

from gatecheck.cli.main import cli
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.facts_schema import CUSTOM_FACTS, facts_schema, facts_schemas
from gatecheck.evidence.records.models import RECORD_TYPES

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# Record types by the key their facts have in the policy input.
BY_INPUT_KEY = {"release": "release-manifest"} | {
    registry.input_key(name): name for name in RECORD_TYPES if name != "release-manifest"
}

# Rego tests whose every input comes from policies/lib/facts_test.rego.
PARSED_ONLY_TESTS = [
    "policies/testing/tst_003_test.rego",
    "policies/testing/tst_005_test.rego",
    "policies/rollback/rbk_002_test.rego",
    "policies/verification/ver_001_test.rego",
    "policies/verification/ver_002_test.rego",
    "policies/pipeline/pipe_002_test.rego",
]


def validate(type_name: str, facts: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(facts_schema(RECORD_TYPES[type_name])).validate(facts)


def test_rego_fixtures_are_what_the_parsers_produce_now() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), (
        "policies/lib/facts_test.rego is stale: run `python tests/fact_fixtures.py`"
    )


def test_rego_fixtures_match_the_facts_schema() -> None:
    checked = 0
    for key, items in fixtures().items():
        for stem, facts in items.items():
            try:
                validate(BY_INPUT_KEY[key], facts)
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{SOURCE.name}/{stem}: {exc.message}")
            checked += 1
    assert checked >= 40


def test_a_fixture_without_a_declared_field_is_not_parser_output() -> None:
    facts = fixtures()["backup_restore_test"]["restore_ok"]
    validate("backup-restore-test", facts)
    left_out = {k: v for k, v in facts.items() if k != "checksum_match"}
    with pytest.raises(jsonschema.ValidationError, match="checksum_match"):
        validate("backup-restore-test", left_out)


@pytest.mark.parametrize("path", PARSED_ONLY_TESTS)
def test_rego_tests_of_absent_fact_controls_build_inputs_from_parsed_facts(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert "import data.gatecheck.test_facts as facts" in text
    # Hand-made facts: object literals with framework keys, null values, or facts edited by key.
    for pattern in (r'"source":', r":\s*null\b", r"object\.union\(", r"object\.remove\("):
        assert not re.search(pattern, text), f"{path}: hand-written facts ({pattern})"


def _record_files() -> list[Path]:
    files = sorted((DATA / "lifecycle").iterdir()) + sorted((DATA / "governance").iterdir())
    files += sorted((ROOT / "examples" / "evidence").glob("*.yaml"))
    files += sorted((ROOT / "examples" / "evidence").glob("*.json"))
    return [f for f in files if f.is_file()]


def test_every_record_parser_writes_every_declared_field() -> None:
    checked = 0
    for path in _record_files():
        doc = Document(path.read_bytes(), path.name)
        try:
            parser, fmt = registry.detect(doc)
        except Exception:  # noqa: BLE001 - not every file there is a parseable record
            continue
        record = getattr(parser, "record", None)
        if record is None or record in CUSTOM_FACTS:
            continue
        type_name = next(n for n, m in RECORD_TYPES.items() if m is record)
        parsed = registry.parse(doc, parser.family, fmt, ParseContext(labels={}))
        for facts in parsed if isinstance(parsed, list) else [parsed]:
            try:
                validate(type_name, facts)
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{path.name} ({type_name}): {exc.message}")
            checked += 1
    assert checked >= 20


def test_facts_schemas_are_published() -> None:
    result = CliRunner().invoke(cli, ["schema", "--facts", "backup-restore-test"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$id"] == "https://gatecheck.dev/backup-restore-test/facts/v1"
    assert "checksum_match" in schema["required"]
    listed = CliRunner().invoke(cli, ["schema", "--facts"]).output.split()
    assert sorted(listed) == sorted(facts_schemas())
