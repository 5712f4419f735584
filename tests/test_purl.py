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


def test_annotate_keys_sbom_components_and_scan_packages() -> None:
    sbom = {
        "components": [{"name": "Six", "version": "1.16.0", "purl": "pkg:pypi/six@1.16.0"}],
        "subjects": [{"name": "app", "version": "1.0.0", "purl": None}],
    }
    annotate("sbom", sbom)
    assert sbom["components"][0]["purl_key"] == "pkg:pypi/six@1.16.0"
    assert sbom["components"][0]["name_key"] == "six@1.16.0"
    assert sbom["subjects"][0]["purl_key"] is None
    scan = {
        "packages": [{"name": "a", "version": "1"}],
        "vulnerabilities": [{"package": {"name": "a"}}],
    }
    annotate("vulnerability-scan", scan)
    assert scan["packages"][0]["name_key"] == "a@1"
    # no rule compares a finding's package by key: coverage reads the scan's package list
    assert "name_key" not in scan["vulnerabilities"][0]["package"]
    assert scan["index"] == {"purl": {}, "name": {"a@1": [0]}}
