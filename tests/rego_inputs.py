"""The records the controls' Rego tests feed the controls, checked against the facts schemas.

A Rego test builds its input by hand, so nothing in OPA stops it from feeding a control a
record no parser can produce (a declared field left out, a nested object given in part): the
control then passes or fails on a shape that never reaches it at the gate. To see what each
test really feeds, the library is materialized with its tests and every control module is
instrumented: a `_facts_probe` rule `print`s each record of `input.evidence` and
`input.release` as JSON, and it is made the first statement of every `deny`, `warn` and
`not_applicable` rule. `opa test --format json` returns each test's print output; each printed
record is validated against the facts schema of its type: a record type's
(evidence/records/facts_schema.py) or a tool format's (evidence/facts_schemas.py: SBOMs, scans,
SARIF, JUnit, coverage, provenance, signatures, and the pipeline audit log's custom facts).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from gatecheck.engine.binary import BinaryEngine
from gatecheck.engine.policy import load_policy_set
from gatecheck.evidence import registry
from gatecheck.evidence.facts_schemas import TOOL_FACTS, schema_for
from gatecheck.evidence.records.models import RECORD_TYPES

MARK = "gatecheck-facts"

PROBE = f"""
default _facts_probe := true

_facts_probe := true if {{
	some key, records in object.get(input, "evidence", {{}})
	is_array(records)
	some record in records
	print("{MARK}", key, json.marshal(record))
	false
}}

_facts_probe := true if {{
	release := input.release
	print("{MARK}", "release", json.marshal(release))
	false
}}
"""

_CONTROL = re.compile(r"^package gatecheck\.controls\.(\S+)$", re.M)
# A rule head of a decision rule, with its body in braces or on the same line.
_BLOCK = re.compile(r"^((?:deny|warn|not_applicable) contains .* if \{)$", re.M)
_ONE_LINE = re.compile(r"^((?:deny|warn|not_applicable) contains .* if) (?!\{)(.+)$", re.M)

# Record types and tool-format families by the key their facts have in the policy input.
BY_INPUT_KEY = (
    {"release": "release-manifest"}
    | {registry.input_key(name): name for name in RECORD_TYPES if name != "release-manifest"}
    | {registry.input_key(name): name for name in TOOL_FACTS}
)

# Keys the engine adds inside nested objects after parsing (engine/authenticity.py records the
# claimed roles next to the directory's); top-level additions are allowed by the schema.
_ENGINE_NESTED = {"release-manifest": {"deployment": ("claimed_initiator_roles",)}}
# A release manifest excluded for want of authentication keeps only what the seal binds
# (engine/inputdoc.py), plus the source gatecheck adds around every record.
_EXCLUDED_RELEASE = {"name", "version", "source"}


def instrument(modules: Path) -> dict[str, int]:
    """Add the probe to every control module under ``modules``; probes by control package."""
    probes: dict[str, int] = {}
    for path in sorted(modules.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        text = path.read_text(encoding="utf-8")
        package = _CONTROL.search(text)
        if package is None:
            continue
        text, blocks = _BLOCK.subn(r"\1" + "\n\t_facts_probe", text)
        text, lines = _ONE_LINE.subn(r"\1 {" + "\n\t_facts_probe\n\t" + r"\2" + "\n}", text)
        probes[package.group(1)] = blocks + lines
        path.write_text(text + PROBE, encoding="utf-8")
    return probes


@dataclass(frozen=True)
class Fed:
    """One record a Rego test fed a control."""

    test: str  # package.test_name
    key: str  # input key: release, change_record, ...
    record: Any


@dataclass
class Run:
    probes: dict[str, int]
    results: list[dict[str, Any]]

    def failing(self) -> list[str]:
        return [
            f"{r['package']}.{r['name']}" for r in self.results if r.get("fail") or r.get("error")
        ]

    def fed(self) -> Iterator[Fed]:
        """Each distinct record each test fed a control."""
        for result in self.results:
            test = f"{result['package'].removeprefix('data.')}.{result['name']}"
            output = base64.b64decode(result.get("output") or b"").decode("utf-8")
            seen: set[str] = set()
            for line in output.splitlines():
                mark, _, rest = line.partition(" ")
                key, _, value = rest.partition(" ")
                if mark != MARK or value in seen:
                    continue
                seen.add(value)
                yield Fed(test, key, json.loads(value))


def run_instrumented(opa: str, root: Path) -> Run:
    """The library with its tests under ``root``, instrumented, run by ``opa test``."""
    BinaryEngine._materialize(load_policy_set([], include_tests=True), root, tests=True)
    probes = instrument(root / "modules")
    proc = subprocess.run(
        [opa, "test", "--format", "json", str(root / "modules")],
        capture_output=True,
        check=False,
    )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"opa test failed: {proc.stderr.decode()[:500]}") from None
    return Run(probes, results)


def record_type(key: str) -> str | None:
    """The record type or family whose facts schema covers input ``key`` (None: no schema)."""
    name = BY_INPUT_KEY.get(key)
    if name is None or schema_for(name) is None:
        return None
    return name


def schema_error(type_name: str, record: Any) -> str | None:
    """Why ``record`` is not facts a parser (and the engine) can produce, or None."""
    if (
        type_name == "release-manifest"
        and isinstance(record, dict)
        and {"name", "version"} <= set(record) <= _EXCLUDED_RELEASE
    ):
        return None
    if isinstance(record, dict):
        record = dict(record)
        for field, added in _ENGINE_NESTED.get(type_name, {}).items():
            if isinstance(record.get(field), dict):
                record[field] = {k: v for k, v in record[field].items() if k not in added}
    validator = jsonschema.Draft202012Validator(schema_for(type_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(record))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where or '(record)'}: {error.message[:160]}"
