"""The control catalog (``../shared/CONTROLS.md``) and the library cannot drift apart silently.

Every row of the catalog's control tables names a default enforcement per stage ("fail P,S",
"fail P, warn S", "warn all", "fail post-deploy"; P production, S staging, D dev; "fail" where
listed, otherwise "warn") and default parameters (`` `name` (value) ``). This test parses those
tables and checks each against the library: the enforcement its METADATA declares per stage,
the parameters its METADATA lists, and their values in the shipped policy data.

The catalog lives beside the repository (``../shared/CONTROLS.md`` from the repository root,
where CI lays it too); without it the test skips, saying why. Controls the catalog names but
the library does not implement yet are skipped by name with the reason, and every drift in a
control another change owns is listed in ``KNOWN_DRIFT`` with its reason: the test fails when
such an entry is no longer drift, so the list cannot outlive the drift it excuses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.policy import PolicySet, load_policy_set
from gatecheck.engine.policy_docs import control_catalog, enforcement, param_value

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT.parent / "shared" / "CONTROLS.md"
STAGES = {"P": "production", "S": "staging", "D": "dev"}
PIPELINE_STAGES = tuple(STAGES.values())

# Controls added to the catalog whose implementation is being built in parallel.
# Catalog controls the library does not implement yet (none: all 47 are).
NOT_YET_IMPLEMENTED: dict[str, str] = {}

# (control, what) -> why the library differs from the catalog for now. Empty when in step.
KNOWN_DRIFT: dict[tuple[str, str], str] = {}

needs_catalog = pytest.mark.skipif(
    not CATALOG.is_file(), reason=f"the catalog {CATALOG} is not beside the repository"
)


@dataclass(frozen=True)
class Row:
    control: str
    title: str
    fails_when: str
    defaults: str


def catalog_rows(text: str) -> dict[str, Row]:
    """The control rows of the catalog's tables: | ID | Control | Evidence | Fails when | Default params |."""
    rows: dict[str, Row] = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*(GC-[A-Z]+-\d{3})\s*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", match.group(2))]
        assert len(cells) == 4, f"catalog row {match.group(1)} has {len(cells) + 1} cells"
        rows[match.group(1)] = Row(match.group(1), cells[0], cells[2], cells[3])
    return rows


def expected_enforcement(defaults: str) -> dict[str, str]:
    """Stage -> enforcement the catalog's Default params cell states."""
    text = defaults.split(";")[0].strip()
    if "post-deploy" in text:
        level = text.split()[0]
        return {"post-deploy": level}
    if text == "warn all":
        return dict.fromkeys(PIPELINE_STAGES, "warn")
    stated: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        words = part.split()
        if words and words[0] in ("fail", "warn"):
            level, letters = words[0], words[1:]
        else:
            letters = words
        for letter in letters:
            stated[STAGES[letter]] = level
    # "fail" where listed, otherwise "warn".
    return {stage: stated.get(stage, "warn") for stage in PIPELINE_STAGES}


@dataclass(frozen=True)
class ParamDefault:
    name: str
    text: str
    values: dict[str | None, Any]
    """Stage (None: the global default) -> the value the catalog names."""


_NUMBER = r"-?\d+(?:\.\d+)?"


def _scalar(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(_NUMBER + "%", text):
        return float(text[:-1]) / 100
    if re.fullmatch(_NUMBER, text):
        return float(text)
    return text


def parse_default(name: str, text: str) -> ParamDefault | None:
    """What a parenthesised default means, or None when it states no value (prose)."""
    text = text.strip()
    # "24 P", "0 P", "30 P": the production value.
    match = re.fullmatch(rf"({_NUMBER}%?) ([PSD](?:,[PSD])*)", text)
    if match:
        stages = [STAGES[s] for s in match.group(2).split(",")]
        return ParamDefault(name, text, dict.fromkeys(stages, _scalar(match.group(1))))
    # "P: high, S: critical"
    if re.fullmatch(r"[PSD]: [\w.-]+(?:, [PSD]: [\w.-]+)*", text):
        pairs = [p.split(": ") for p in text.split(", ")]
        return ParamDefault(name, text, {STAGES[k]: _scalar(v) for k, v in pairs})
    # "30", "7.0", "80%"
    if re.fullmatch(_NUMBER + "%?", text):
        return ParamDefault(name, text, {None: _scalar(text), "production": _scalar(text)})
    if text.startswith("default "):
        rest = text[len("default ") :]
        stage_words = re.fullmatch(r"((?:P|S|D|post-deploy)(?:,? and |, )?)+", rest)
        if stage_words:  # "default P and post-deploy": a switch on at those stages
            named = re.findall(r"post-deploy|\b[PSD]\b", rest)
            on = {STAGES.get(w, w) for w in named}
            stages = [*PIPELINE_STAGES, "post-deploy"]
            return ParamDefault(name, text, {s: s in on for s in stages})
        items = [i.strip() for i in rest.split(",")]
        if all(re.fullmatch(r"[\w.+-]+", i) for i in items):
            value = items[0] if len(items) == 1 else items
            return ParamDefault(name, text, {None: _scalar(value) if len(items) == 1 else value})
    # A lone word value, e.g. "(medium)".
    if re.fullmatch(r"[a-z]+", text):
        return ParamDefault(name, text, {None: text})
    return None


def row_params(row: Row) -> list[ParamDefault]:
    """Parameters a row names with a default: `name` (value), or (`name`) (value)."""
    found = []
    text = f"{row.fails_when} | {row.defaults}"
    for match in re.finditer(r"`([a-z][a-z0-9_]*)`\)? \(([^()]*)\)", text):
        parsed = parse_default(match.group(1), match.group(2))
        if parsed is not None:
            found.append(parsed)
    return found


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, int | float):
        return math.isclose(expected, float(actual))
    if isinstance(expected, list) and isinstance(actual, list):
        return sorted(map(str, expected)) == sorted(map(str, actual))
    return expected == actual


@cache
def library() -> tuple[PolicySet, dict[str, dict[str, Any]]]:
    policies = load_policy_set()
    return policies, control_catalog(EmbeddedEngine(), policies)


@cache
def rows() -> dict[str, Row]:
    return catalog_rows(CATALOG.read_text(encoding="utf-8"))


def drift_of(row: Row) -> dict[str, str]:
    """(what) -> how the library differs from the catalog row."""
    policies, catalog = library()
    info = catalog[row.control]
    found: dict[str, str] = {}
    for stage, level in expected_enforcement(row.defaults).items():
        actual = enforcement(info, policies.data, stage)
        if actual != level:
            found[f"enforcement:{stage}"] = f"catalog {level}, library {actual}"
    declared = set(info.get("params") or [])
    for param in row_params(row):
        if param.name not in declared:
            found[f"metadata:{param.name}"] = "named by the catalog, not in METADATA params"
        for stage, value in param.values.items():
            actual = param_value(policies.data, param.name, stage)
            if not same(value, actual):
                where = stage or "default"
                found[f"param:{param.name}:{where}"] = (
                    f"catalog {param.text!r}, library {actual!r} at {where}"
                )
    return found


# -- the parser, on text it must read ----------------------------------------------------------


def test_the_cell_grammar_is_read_as_the_catalog_states_it() -> None:
    assert expected_enforcement("fail P,S,D") == dict.fromkeys(PIPELINE_STAGES, "fail")
    assert expected_enforcement("fail P, warn S") == {
        "production": "fail",
        "staging": "warn",
        "dev": "warn",
    }
    assert expected_enforcement("warn D,S") == dict.fromkeys(PIPELINE_STAGES, "warn")
    assert expected_enforcement("fail P; not waivable")["staging"] == "warn"
    assert expected_enforcement("fail post-deploy; decision `rollback`") == {"post-deploy": "fail"}
    assert parse_default("x", "P: high, S: critical").values == {  # type: ignore[union-attr]
        "production": "high",
        "staging": "critical",
    }
    assert parse_default("x", "80%").values[None] == 0.8  # type: ignore[union-attr]
    assert parse_default("x", "0 P").values == {"production": 0.0}  # type: ignore[union-attr]
    assert parse_default("x", "default P and post-deploy").values == {  # type: ignore[union-attr]
        "production": True,
        "staging": False,
        "dev": False,
        "post-deploy": True,
    }
    assert parse_default("x", "acceptance is a gatecheck waiver, with approver") is None


def test_a_row_the_library_does_not_follow_is_reported_as_drift() -> None:
    """The checker itself can fail: a row stating stricter defaults than the library's."""
    row = Row(
        "GC-ART-004",
        "Licenses allowed",
        "a license in `license_deny` (default AGPL-3.0-only); scans older than `sbom_max_age_days` (7 P)",
        "fail P,S",
    )
    assert drift_of(row) == {
        "enforcement:staging": "catalog fail, library warn",
        "param:license_deny:default": (
            "catalog 'default AGPL-3.0-only', library "
            "['AGPL-3.0-only', 'AGPL-3.0-or-later', 'SSPL-1.0'] at default"
        ),
        "metadata:sbom_max_age_days": "named by the catalog, not in METADATA params",
        "param:sbom_max_age_days:production": "catalog '7 P', library 30 at production",
    }


# -- the catalog against the library ----------------------------------------------------------


@needs_catalog
def test_the_catalog_tables_are_read_whole() -> None:
    found = rows()
    assert len(found) >= 47, sorted(found)
    checked = [p for row in found.values() for p in row_params(row)]
    assert len(checked) >= 20, [p.name for p in checked]


@needs_catalog
def test_every_implemented_control_is_in_the_catalog() -> None:
    _, catalog = library()
    assert sorted(set(catalog) - set(rows())) == []


@needs_catalog
def _catalog_ids() -> list[str]:
    return sorted(rows()) if CATALOG.is_file() else []


@needs_catalog
@pytest.mark.parametrize("control", _catalog_ids())
def test_library_defaults_match_the_catalog_row(control: str) -> None:
    _, catalog = library()
    if control not in catalog:
        assert control in NOT_YET_IMPLEMENTED, f"{control} is in the catalog, not the library"
        pytest.skip(f"{control}: {NOT_YET_IMPLEMENTED[control]}")
    drift = drift_of(rows()[control])
    excused = {what: why for (cid, what), why in KNOWN_DRIFT.items() if cid == control}
    stale = sorted(set(excused) - set(drift))
    assert not stale, f"{control}: no longer drift, remove from KNOWN_DRIFT: {stale}"
    unexplained = {what: how for what, how in drift.items() if what not in excused}
    assert not unexplained, f"{control} differs from ../shared/CONTROLS.md: {unexplained}"
