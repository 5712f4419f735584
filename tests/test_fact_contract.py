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
import rego_inputs
from click.testing import CliRunner
from fact_fixtures import SOURCE, TARGET, fixtures, render
from opa_support import require_opa

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


# Rego test packages whose inputs are not yet all parser output, with why. The check below
# fails for any other package feeding a control an impossible record, and fails when a
# package listed here has become clean (so the list only shrinks).
NOT_YET_PARSER_OUTPUT: dict[str, str] = {}


@pytest.fixture(scope="module")
def instrumented(tmp_path_factory: pytest.TempPathFactory) -> rego_inputs.Run:
    opa = require_opa()
    return rego_inputs.run_instrumented(opa, tmp_path_factory.mktemp("instrumented"))


def test_every_control_is_instrumented(instrumented: rego_inputs.Run) -> None:
    controls = {p.stem for p in (ROOT / "policies").rglob("*.rego")} & set(instrumented.probes)
    assert len(instrumented.probes) >= 45
    unprobed = sorted(name for name, count in instrumented.probes.items() if count == 0)
    assert not unprobed, f"control packages with no deny/warn rule the probe recognizes: {unprobed}"
    assert controls == set(instrumented.probes)


def test_instrumented_controls_still_pass_their_tests(instrumented: rego_inputs.Run) -> None:
    assert len(instrumented.results) >= 600
    assert instrumented.failing() == []


def test_every_record_a_rego_test_feeds_a_control_is_parser_output(
    instrumented: rego_inputs.Run,
) -> None:
    checked = 0
    invalid: dict[str, list[str]] = {}
    for fed in instrumented.fed():
        type_name = rego_inputs.record_type(fed.key)
        if type_name is None:
            continue
        checked += 1
        error = rego_inputs.schema_error(type_name, fed.record)
        if error is not None:
            package = fed.test.rsplit(".", 1)[0].removeprefix("gatecheck.controls.")
            invalid.setdefault(package, []).append(f"{fed.test} {fed.key} {error}")
    assert checked >= 900, f"only {checked} records checked: is the probe still printing?"
    unexpected = {p: v for p, v in invalid.items() if p not in NOT_YET_PARSER_OUTPUT}
    listing = "\n".join(line for lines in unexpected.values() for line in sorted(set(lines)))
    assert not unexpected, f"Rego tests feed controls records no parser produces:\n{listing}"
    clean = sorted(set(NOT_YET_PARSER_OUTPUT) - set(invalid))
    assert not clean, f"now parser output, drop from NOT_YET_PARSER_OUTPUT: {clean}"


def test_the_check_rejects_a_record_given_in_part() -> None:
    release = fixtures()["release"]["release_major"]
    assert rego_inputs.schema_error("release-manifest", release) is None
    partial = release | {"deployment": {"environment": "production"}}
    assert "deployment" in (rego_inputs.schema_error("release-manifest", partial) or "")
    left_out = {k: v for k, v in release.items() if k != "changes"}
    assert "changes" in (rego_inputs.schema_error("release-manifest", left_out) or "")
    misspelt = release | {"deployment": release["deployment"] | {"stratgy": "canary"}}
    assert "stratgy" in (rego_inputs.schema_error("release-manifest", misspelt) or "")
    # What the engine itself adds or keeps is parser output too.
    claimed = release | {"deployment": release["deployment"] | {"claimed_initiator_roles": []}}
    assert rego_inputs.schema_error("release-manifest", claimed) is None
    excluded = {"name": "payments-api", "version": "2.4.0", "source": {"path": "r.yaml"}}
    assert rego_inputs.schema_error("release-manifest", excluded) is None
    assert rego_inputs.schema_error("release-manifest", excluded | {"class": "major"})


def test_the_probe_reaches_rules_written_on_one_line(tmp_path: Path) -> None:
    module = tmp_path / "org_one.rego"
    module.write_text(
        "package gatecheck.controls.org_one\n\nimport rego.v1\n\n"
        'deny contains "no name" if not input.release.name\n\n'
        "warn contains msg if {\n\tmsg := input.release.version\n}\n"
    )
    assert rego_inputs.instrument(tmp_path) == {"org_one": 2}
    text = module.read_text()
    assert 'deny contains "no name" if {\n\t_facts_probe\n\tnot input.release.name\n}' in text
    assert "warn contains msg if {\n\t_facts_probe\n" in text
