"""Package keys: gatecheck's precomputed keys equal the policy's reference implementation."""

from __future__ import annotations

import json

import pytest

from gatecheck.engine.embedded import EmbeddedEngine
from gatecheck.engine.policy import load_policy_set
from gatecheck.evidence.sbom.purl import annotate, name_key, purl_key

PURLS = [
    "pkg:pypi/idna@3.6",
    "pkg:PyPI/Ruamel_Yaml@0.17.21?extra=x#sub/path",
    "pkg:pypi/zope.interface@6.0",
    "pkg:npm/%40angular/core@16.0.0",
    "pkg:npm/%40angular/core",
    "pkg:npm/@scope/name@1.0.0",
    "pkg:deb/debian/libidn2-0@2.0.5-1%2Bdeb10u1?distro=debian-10.2",
    "pkg:golang/github.com/gogo/protobuf@v1.3.1",
    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    "pkg:gem/activesupport@6.0.3.1",
    "pkg:a@1",
    "pkg:npm/name@",
    "pkg:npm/x@1.0.0/extra",
    "idna",
    "PKG:NPM/LEFT-PAD@1.3.0",
    "pkg:npm/%40x%2Fy@1%3A2%202",
]


def test_python_keys_match_the_rego_reference() -> None:
    module = (
        "package purl_parity\n\nimport rego.v1\n\nimport data.gatecheck.controls.art_005\n\n"
        "keys := {p: k | some p in input.purls; k := art_005.purl_key(p)}\n"
    )
    from gatecheck.engine.policy import PolicyFile

    policies = load_policy_set()
    policies.modules.append(PolicyFile("purl_parity.rego", "x", module))
    rego = EmbeddedEngine().evaluate(policies, {"purls": PURLS}, "purl_parity.keys")
    python = {p: k for p in PURLS if (k := purl_key(p)) is not None}
    assert python == rego, json.dumps({"python": python, "rego": rego}, indent=1)


@pytest.mark.parametrize(
    ("name", "version", "key"),
    [("IDNA", "3.6", "idna@3.6"), ("x", None, None), ("", "1", None), (None, "1", None)],
)
def test_name_key(name, version, key) -> None:
    assert name_key(name, version) == key


def test_annotate_indexes_sbom_components_and_scan_packages_by_key() -> None:
    sbom = {
        "components": [
            {"name": "Six", "version": "1.16.0", "purl": "pkg:pypi/six@1.16.0"},
            {"name": "Local", "version": "0.1", "purl": None},
            {"name": "Six", "version": "1.16.0", "purl": "pkg:PyPI/Six@1.16.0?x=y"},
        ],
        "subjects": [{"name": "app", "version": "1.0.0", "purl": None}],
    }
    annotate("sbom", sbom)
    # an SBOM's name map: only the components without a purl key
    assert sbom["index"] == {"purl": {"pkg:pypi/six@1.16.0": [0, 2]}, "name": {"local@0.1": [1]}}
    # the keys live in the index only: the items stay as parsed
    assert all(set(c) == {"name", "version", "purl"} for c in sbom["components"])
    assert "purl_key" not in sbom["subjects"][0]
    scan = {
        "packages": [
            {"name": "a", "version": "1"},
            {"name": "B", "version": "2", "purl": "pkg:pypi/b@2"},
        ],
        "vulnerabilities": [{"package": {"name": "a"}}],
    }
    annotate("vulnerability-scan", scan)
    assert "name_key" not in scan["packages"][0]
    # a scan's name map: every package
    assert scan["index"] == {"purl": {"pkg:pypi/b@2": [1]}, "name": {"a@1": [0], "b@2": [1]}}


def test_purl_keys_shared_between_files_give_the_same_index() -> None:
    """build_input remembers purl keys across an evaluation's SBOMs and scans."""
    purls = ["pkg:PyPI/Ruamel_Yaml@0.17.21", "pkg:npm/%40angular/core@16.2.0", "pkg:golang/x@v1"]
    keys: dict[str, str | None] = {}
    for family, field in (("sbom", "components"), ("vulnerability-scan", "packages")):
        shared = {field: [{"name": "n", "version": "1", "purl": p} for p in purls]}
        alone = {field: [{"name": "n", "version": "1", "purl": p} for p in purls]}
        annotate(family, shared, keys)
        annotate(family, alone)
        assert shared["index"] == alone["index"]
    assert keys == {p: purl_key(p) for p in purls}
