"""The input OPA receives at scale: the package index gatecheck builds equals the one GC-ART-005
builds for itself, unread facts stay out, and the embedded engine's fast encoder keeps json's
refusals."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from gatecheck.digest import all_finite
from gatecheck.engine.embedded import EmbeddedEngine, encode_input
from gatecheck.engine.inputdoc import _trim
from gatecheck.engine.policy import load_policy_set
from gatecheck.errors import EngineError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.sbom import purl

DATA = Path(__file__).parent / "data"
SBOM = DATA / "sbom" / "cdx-1.6-trivy-npm-with-vulnerabilities.json"
SBOMS = [
    DATA / "sbom" / "cdx-1.5-cyclonedx-py-environment-with-extras.xml",
    SBOM,
    DATA / "sbom" / "spdx-2.3-trivy-conda.spdx.json",
]
SCANS = [
    DATA / "vulnscan" / "pip-audit-clean-49-deps.json",
    DATA / "vulnscan" / "trivy-sbom-input-debian+gems-critical-high.json",
]


def facts(path: Path) -> tuple[str, dict[str, Any]]:
    doc = Document(path.read_bytes(), path.name)
    parser, fmt = registry.detect(doc)
    parsed = registry.parse(doc, parser.family, fmt, ParseContext())
    assert isinstance(parsed, dict)
    purl.annotate(parser.family, parsed)
    parsed["source"] = {"path": f"evidence/{path.name}", "name": path.name}
    return parser.family, parsed


def embedded() -> EmbeddedEngine:
    pytest.importorskip("opa_bindings", reason="the embedded engine is not installed")
    return EmbeddedEngine()


def with_and_without(doc: dict[str, Any], index: str, control: str) -> tuple[Any, Any]:
    """The control's package evaluated on ``doc`` (``index`` as gatecheck built it) and on a
    copy whose evidence items lack ``index`` (the policy builds it itself)."""
    bare = copy.deepcopy(doc)
    for items in bare["evidence"].values():
        for item in items:
            del item[index]
    engine, policies = embedded(), load_policy_set()
    query = f"gatecheck.controls.{control}"
    return engine.evaluate(policies, doc, query), engine.evaluate(policies, bare, query)


def test_python_index_equals_the_policy_index_and_gives_the_same_results() -> None:
    evidence: dict[str, list[dict[str, Any]]] = {}
    for path in SBOMS + SCANS:
        family, item = facts(path)
        evidence.setdefault(registry.input_key(family), []).append(item)
    # a library without a purl, listed by no scan: one uncovered component by name
    evidence["sbom"][0]["components"].append(
        {"name": "Local-Lib", "version": "0.1", "purl": None, "type": None, "pointer": "/x"}
    )
    purl.annotate("sbom", evidence["sbom"][0])
    doc = {"stage": "staging", "effective_time_ns": 0, "evidence": evidence}
    built, made = with_and_without(doc, "index", "art_005")
    assert built["sbom_indexes"] == made["sbom_indexes"]
    assert built["scan_indexes"] == made["scan_indexes"]
    # what the index is there for: the components no scan covered, found either way
    assert built["uncovered"] == made["uncovered"]
    assert built["deny"] == made["deny"]
    uncovered = [r for r in built["deny"] if "which no vulnerability scan covered" in r["msg"]]
    assert len(uncovered) > 1  # the test files overlap little: most components are uncovered
    assert any("Local-Lib 0.1" in r["msg"] for r in uncovered)


def test_sbom_name_index_holds_only_components_without_a_purl_key() -> None:
    _, sbom = facts(SBOM)
    index = sbom["index"]
    with_purl = {i for positions in index["purl"].values() for i in positions}
    by_name = {i for positions in index["name"].values() for i in positions}
    assert with_purl and not with_purl & by_name
    assert with_purl | by_name == {
        i
        for i, c in enumerate(sbom["components"])
        if purl.purl_key(c["purl"]) or purl.name_key(c["name"], c["version"])
    }
    assert all("purl_key" not in c and "name_key" not in c for c in sbom["components"])


def test_unread_facts_stay_out_of_the_input() -> None:
    _, sbom = facts(SBOM)
    assert all("hashes" in c for c in sbom["components"])  # the parser writes them
    _trim("sbom", sbom)
    assert all("hashes" not in c for c in sbom["components"])
    _, scan = facts(SCANS[1])
    _trim("vulnerability-scan", scan)
    assert scan["vulnerabilities"] and scan["packages"]
    assert all("cvss_score" not in v for v in scan["vulnerabilities"])
    assert all("ecosystem" not in v["package"] for v in scan["vulnerabilities"])
    assert all("ecosystem" not in p for p in scan["packages"])


def test_encode_input_writes_what_json_writes() -> None:
    _, sbom = facts(SBOM)
    doc = {"evidence": {"sbom": [sbom]}, "name": "zürich ✓", "n": 2**63 - 1, "f": 0.5}
    assert json.loads(encode_input(doc)) == json.loads(json.dumps(doc))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_encode_input_refuses_numbers_json_cannot_carry(bad: float) -> None:
    with pytest.raises(EngineError, match="not finite"):
        encode_input({"evidence": {"sbom": [{"components": [{"score": bad}]}]}})


@pytest.mark.parametrize(
    "doc",
    [
        math.nan,
        [math.inf],
        {"a": [1, "s", None, True, {"b": [-math.inf]}]},
        {"deep": [[[[{"x": math.nan}]]]]},
        [0.5, {"k": [2.5, math.nan]}],
    ],
)
def test_a_number_json_cannot_carry_is_found_at_any_depth(doc: Any) -> None:
    assert not all_finite(doc)
    assert all_finite(json.loads(json.dumps(doc).replace("NaN", "1").replace("Infinity", "1")))


@pytest.mark.parametrize("doc", [{1: "a"}, {"big": 2**70}])
def test_encode_input_leaves_what_orjson_cannot_write_to_json(doc: dict[Any, Any]) -> None:
    assert encode_input(doc) == json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_license_index_equals_the_policy_index_and_gives_the_same_results() -> None:
    sboms = [facts(path)[1] for path in SBOMS]
    # a denied license, one that names no SPDX license, and none at all, beside real ones
    sboms[0]["components"][:0] = [
        {
            "name": "agpl",
            "version": "1",
            "pointer": "/a",
            "licenses": [
                {
                    "name": "MIT OR AGPL-3.0-or-later",
                    "spdx": "MIT OR AGPL-3.0-or-later",
                    "text": False,
                }
            ],
        },
        {
            "name": "odd",
            "version": "1",
            "pointer": "/b",
            "licenses": [{"name": "Our License", "spdx": None, "text": False}],
        },
        {"name": "bare", "version": "1", "pointer": "/c", "licenses": []},
    ]
    purl.annotate("sbom", sboms[0])
    doc = {"stage": "production", "effective_time_ns": 0, "evidence": {"sbom": sboms}}
    built, made = with_and_without(doc, "license_index", "art_004")
    assert built["license_indexes"] == made["license_indexes"]
    assert (built["deny"], built["warn"]) == (made["deny"], made["warn"])
    assert any("agpl 1" in r["msg"] and "AGPL-3.0-or-later" in r["msg"] for r in built["deny"])
    warnings = " ".join(r["msg"] for r in built["warn"])
    assert 'odd 1: "Our License"' in warnings and "bare 1" in warnings


def test_no_license_index_when_a_component_has_no_license_list() -> None:
    sbom = {"components": [{"name": "x", "version": "1", "licenses": None}]}
    purl.annotate("sbom", sbom)
    assert "license_index" not in sbom and "index" in sbom


def test_unidentified_index_equals_the_policy_list_and_gives_the_same_results() -> None:
    sboms = [facts(path)[1] for path in SBOMS]
    # components without a version, a purl, or either, beside the parsed ones
    sboms[0]["components"][1:1] = [
        {"name": "nover", "version": None, "purl": "pkg:pypi/nover", "pointer": "/a"},
        {"name": "nopurl", "version": "1", "purl": "", "pointer": "/b"},
        {"name": "bare", "version": "", "purl": None, "pointer": "/c"},
    ]
    for sbom in sboms:
        purl.annotate("sbom", sbom)
    assert any(sbom["unidentified_index"] for sbom in sboms[1:])  # real SBOMs have some too
    # every SBOM describes an artifact of the release
    artifacts = [
        {"name": s["subjects"][0]["name"], "version": s["subjects"][0]["version"]} for s in sboms
    ]
    release = {"name": "r", "version": "1", "artifacts": artifacts}
    doc = {"stage": "production", "effective_time_ns": 0, "release": release}
    doc["evidence"] = {"sbom": sboms}
    built, made = with_and_without(doc, "unidentified_index", "art_003")
    assert built["unidentified"] == made["unidentified"]
    assert (built["deny"], built["warn"]) == (made["deny"], made["warn"])
    found = " ".join(r["msg"] for r in built["deny"])
    assert "nover (no version)" in found and "nopurl 1 (no purl)" in found
    assert "bare (no version or purl)" in found
