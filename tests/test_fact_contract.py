"""The fact contract between parsers and policies: every record's facts carry every declared
field (null when absent), match the published facts schema, every tool output's facts
(SBOMs, scans, SARIF, JUnit, coverage, provenance, signatures) match its family's facts
schema, and the Rego tests feed the controls only records the parsers can produce."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rego_inputs
from click.testing import CliRunner
from fact_fixtures import SOURCE, TARGET, as_input, fixtures, render
from opa_support import require_opa

from gatecheck.cli.main import cli, main
from gatecheck.errors import GatecheckError
from gatecheck.evidence import registry
from gatecheck.evidence.facts_schemas import TOOL_FACTS, facts_schemas
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.records.facts_schema import CUSTOM_FACTS, facts_schema
from gatecheck.evidence.records.models import RECORD_TYPES

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# Real tools' outputs shared beside the checkout (tests/data holds most of them too).
CORPUS = ROOT.parent / "shared" / "corpus"

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
    checked = custom = 0
    for path in _record_files():
        doc = Document(path.read_bytes(), path.name)
        try:
            parser, fmt = registry.detect(doc)
        except Exception:  # noqa: BLE001 - not every file there is a parseable record
            continue
        record = getattr(parser, "record", None)
        if record is None:
            continue
        type_name = next(n for n, m in RECORD_TYPES.items() if m is record)
        parsed = registry.parse(doc, parser.family, fmt, ParseContext(labels={}))
        for facts in parsed if isinstance(parsed, list) else [parsed]:
            # A record with custom facts (the audit log's verified chain) has its own schema.
            error = rego_inputs.schema_error(type_name, facts)
            assert error is None, f"{path.name} ({type_name}): {error}"
            checked += 1
            custom += record in CUSTOM_FACTS
    assert checked >= 20
    assert custom >= 2


def test_facts_schemas_are_published() -> None:
    result = CliRunner().invoke(cli, ["schema", "--facts", "backup-restore-test"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$id"] == "https://gatecheck.dev/backup-restore-test/facts/v1"
    assert "checksum_match" in schema["required"]
    listed = CliRunner().invoke(cli, ["schema", "--facts"]).output.split()
    assert sorted(listed) == sorted(facts_schemas())
    assert set(TOOL_FACTS) <= set(listed)


def test_every_evidence_family_has_a_facts_schema() -> None:
    assert set(registry.families()) <= set(facts_schemas())
    assert {n for n, m in RECORD_TYPES.items() if m in CUSTOM_FACTS} <= set(facts_schemas())


@pytest.mark.parametrize("family", sorted(TOOL_FACTS))
def test_tool_facts_schemas_are_published(family: str) -> None:
    result = CliRunner().invoke(cli, ["schema", "--facts", family])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$id"] == f"https://gatecheck.dev/{family}/facts/v1"
    assert schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)
    # What gatecheck adds around the parser's facts is declared, never required.
    assert {"source", "tool", "labels", "attested_at"} <= set(schema["properties"])
    assert not {"source", "tool", "labels", "attested_at"} & set(schema["required"])


def test_an_unknown_facts_schema_exits_2_with_one_line(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "--facts", "sboms"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("gatecheck: error: no facts schema for 'sboms'; known: approval,")
    assert "vulnerability-scan" in err
    assert err.count("\n") == 1


# -- tool formats: every real output a parser reads matches its family's facts schema -------

# Directories of real tool outputs; gatecheck's own records are checked above.
TOOL_DIRS = ("sbom", "vulnscan", "sarif", "secrets", "junit", "coverage", "intoto", "sigstore")
# A key the signed examples verify against, so verified signatures are checked too.
TRUSTED = {"trusted_keys": [{"pem": (DATA / "authenticity" / "release-signing.pub").read_text()}]}


# Formats no real output here is read as: a detached signature is bare bytes, and the
# one-line .jsonl files are read as the JSON object they are (so a provenance's `line`, set
# only for a JSON Lines file of several lines, is in no sample either).
UNSAMPLED = {"detached-signature", "intoto-jsonl"}


def _tool_outputs() -> list[Path]:
    roots = [DATA / d for d in TOOL_DIRS] + [DATA / "authenticity", ROOT / "examples"]
    if CORPUS.is_dir():
        roots.append(CORPUS)
    return sorted({p for root in roots for p in root.rglob("*") if p.is_file()})


def _readings(doc: Document) -> list[tuple[str, str]]:
    """(family, format) of each way gatecheck reads ``doc``: as detected, and as a secret scan
    when declared one (SARIF and Trivy reports, gitleaks' clean `[]`)."""
    found = []
    for family in (None, "secret-scan"):
        try:
            parser, fmt = registry.detect(doc, family)
        except GatecheckError:
            continue
        if parser.family in TOOL_FACTS and (parser.family, fmt) not in found:
            found.append((parser.family, fmt))
    return found


def _tool_facts() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, family, facts) of every tool output, as parsed and as the policy input holds
    them, read without and with a trusted key."""
    found = []
    for path in _tool_outputs():
        doc = Document(path.read_bytes(), path.name)
        for family, fmt in _readings(doc):
            for config in ({}, TRUSTED) if family in ("signature", "provenance") else ({},):
                try:
                    facts = registry.parse(doc, family, fmt, ParseContext(config=config))
                except GatecheckError as exc:
                    # Only an example tampered with on purpose is refused (no facts).
                    assert "tampered" in path.parts, f"{path.name}: {exc}"
                    continue
                assert isinstance(facts, dict)
                found.append((path.name, family, json.loads(json.dumps(facts))))
                found.append((path.name, family, as_input(doc, family, fmt, facts, {})))
    return found


@pytest.fixture(scope="module")
def tool_facts() -> list[tuple[str, str, dict[str, Any]]]:
    return _tool_facts()


def test_every_tool_output_matches_its_family_facts_schema(
    tool_facts: list[tuple[str, str, dict[str, Any]]],
) -> None:
    checked: dict[str, int] = {}
    for name, family, facts in tool_facts:
        error = rego_inputs.schema_error(family, facts)
        assert error is None, f"{name} ({family}): {error}"
        checked[family] = checked.get(family, 0) + 1
    # Every family is checked on several real outputs, of every format it reads.
    assert set(checked) == set(TOOL_FACTS)
    assert min(checked.values()) >= 10, checked


def test_the_tool_outputs_reach_every_shape_the_schemas_allow(
    tool_facts: list[tuple[str, str, dict[str, Any]]],
) -> None:
    """The variants a schema admits are ones real outputs have, not guesses."""
    by_family: dict[str, list[dict[str, Any]]] = {}
    for _, family, facts in tool_facts:
        by_family.setdefault(family, []).append(facts)
    signers = [f["signer"] for f in by_family["signature"] + by_family["provenance"]]
    assert any(s and "root" in s for s in signers)  # keyless, verified
    assert any(s and "identity" in s and "root" not in s for s in signers)  # keyless, not
    assert any(s and s.get("key_id") for s in signers)  # a trusted key
    assert any("signatures" in f for f in by_family["signature"])  # DSSE
    files = [c for f in by_family["coverage"] for c in f["files"]]
    assert any("line" in c for c in files) and any("pointer" in c for c in files)
    assert any("group" in c for c in files)
    formats = {
        registry.split_format(f["source"]["format"])[0]
        for fs in by_family.values()
        for f in fs
        if "source" in f
    }
    for family in TOOL_FACTS:
        for parser in registry.parsers(family):
            missing = set(parser.formats) - formats - UNSAMPLED
            assert not missing, f"{family}: no real output of {sorted(missing)}"


def _input(path: Path, family: str, fmt: str) -> dict[str, Any]:
    doc = Document(path.read_bytes(), path.name)
    facts = registry.parse(doc, family, fmt, ParseContext())
    return as_input(doc, family, fmt, facts, {})


def test_tool_facts_left_out_misspelt_or_given_in_part_are_not_parser_output() -> None:
    sbom = _input(
        DATA / "sbom" / "cdx-1.6-trivy-npm-with-vulnerabilities.json", "sbom", "cyclonedx-json"
    )
    assert rego_inputs.schema_error("sbom", sbom) is None
    component = sbom["components"][0]
    cases = {
        "valid": {k: v for k, v in sbom.items() if k != "valid"},
        "vaild": sbom | {"vaild": True},
        "purl": sbom | {"components": [{k: v for k, v in component.items() if k != "purl"}]},
        "licence": sbom | {"components": [component | {"licence": "MIT"}]},
        "licenses/0": sbom | {"components": [component | {"licenses": ["MIT"]}]},
        "source": sbom | {"source": {"path": "evidence/sbom.json"}},
        "subject": sbom | {"subject": {"name": "payments-api"}},
    }
    for expected, record in cases.items():
        assert expected in (rego_inputs.schema_error("sbom", record) or ""), expected
    # A null where the parser writes a value, and a file placed neither by pointer nor line.
    assert rego_inputs.schema_error("sbom", sbom | {"valid": None})
    coverage = _input(DATA / "coverage" / "lcov-flutter-dart.info", "coverage", "lcov")
    assert rego_inputs.schema_error("coverage", coverage) is None
    file = {k: v for k, v in coverage["files"][0].items() if k != "line"}
    assert rego_inputs.schema_error("coverage", coverage | {"files": [file]})


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
    checked = tools = 0
    invalid: dict[str, list[str]] = {}
    for fed in instrumented.fed():
        type_name = rego_inputs.record_type(fed.key)
        if type_name is None:
            continue
        checked += 1
        tools += type_name in TOOL_FACTS
        error = rego_inputs.schema_error(type_name, fed.record)
        if error is not None:
            package = fed.test.rsplit(".", 1)[0].removeprefix("gatecheck.controls.")
            invalid.setdefault(package, []).append(f"{fed.test} {fed.key} {error}")
    assert checked >= 1100, f"only {checked} records checked: is the probe still printing?"
    assert tools >= 200, f"only {tools} SBOMs, scans, ... checked"
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
