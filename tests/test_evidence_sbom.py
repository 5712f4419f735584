"""SBOM evidence (CycloneDX JSON/XML 1.4-1.6, SPDX 2.3 JSON) and the GC-ART-003/004 controls.

SBOMs are made here by the real cyclonedx-py CLI, or copied from real producers'
output (tests/data/sbom, see tests/data/SOURCES.md).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import cyclonedx_py_command

from gatecheck.digest import sha256_bytes
from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.sbom.cyclonedx import CycloneDxParser
from gatecheck.evidence.sbom.spdx import SpdxParser, parse_tool

DATA = Path(__file__).parent / "data" / "sbom"
EPOCH = "1764000000"  # 2025-11-24T16:00:00Z, as SOURCE_DATE_EPOCH for reproducible output
EPOCH_RFC3339 = "2025-11-24T16:00:00Z"
SBOM_KEYS = {
    "spec",
    "spec_version",
    "valid",
    "errors",
    "subject",
    "subjects",
    "components",
    "component_count",
    "timestamp",
    "tools",
}
COMPONENT_KEYS = {"name", "version", "purl", "type", "licenses", "hashes", "pointer"}


def parse_bytes(raw: bytes, name: str) -> tuple[str, dict[str, Any]]:
    doc = Document(raw, name)
    parser, fmt = registry.detect(doc)
    assert parser.family == "sbom"
    return fmt, parser.parse(doc, fmt, ParseContext())


def parse_file(path: Path) -> tuple[str, dict[str, Any]]:
    return parse_bytes(path.read_bytes(), path.name)


def without_pointers(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in c.items() if k != "pointer"} for c in components),
        key=lambda c: (c["name"], c["version"] or ""),
    )


# -- real producer: cyclonedx-py ------------------------------------------------------------


@pytest.fixture(scope="module")
def producer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cyclonedx_py_command()  # skips, saying why, without the test extra
    work = tmp_path_factory.mktemp("cdx")
    (work / "pyproject.toml").write_text(
        '[project]\nname = "demo-app"\nversion = "1.2.3"\nlicense = "MIT"\n', encoding="utf-8"
    )
    # One pinned requirement with a hash, one unpinned (no version in the SBOM).
    (work / "requirements.txt").write_text(
        "click==8.1.7\n"
        "requests==2.31.0 --hash=sha256:"
        "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f\n"
        "six>=1.16\n",
        encoding="utf-8",
    )
    return work


def cyclonedx_py(work: Path, *args: str, out: str) -> Path:
    subprocess.run(
        [*cyclonedx_py_command(), *args, "--output-reproducible", "--no-validate", "-o", out],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )
    return work / out


@pytest.fixture(scope="module")
def generated(producer_dir: Path) -> dict[tuple[str, str], Path]:
    """cyclonedx-py requirements output per (spec version, JSON|XML)."""
    files = {}
    for version in ("1.4", "1.5", "1.6"):
        for of in ("JSON", "XML"):
            files[version, of] = cyclonedx_py(
                producer_dir,
                "requirements",
                "requirements.txt",
                "--pyproject",
                "pyproject.toml",
                "--sv",
                version,
                "--of",
                of,
                out=f"bom-{version}.{of.lower()}",
            )
    return files


@pytest.mark.parametrize("version", ["1.4", "1.5", "1.6"])
def test_cyclonedx_py_json_and_xml_normalize_to_the_same_facts(
    generated: dict[tuple[str, str], Path], version: str
) -> None:
    json_fmt, from_json = parse_file(generated[version, "JSON"])
    xml_fmt, from_xml = parse_file(generated[version, "XML"])
    assert (json_fmt, xml_fmt) == ("cyclonedx-json", "cyclonedx-xml")
    for facts in (from_json, from_xml):
        assert set(facts) == SBOM_KEYS
        assert facts["valid"] is True, facts["errors"]
        assert facts["errors"] == []
        assert facts["spec"] == "cyclonedx"
        assert facts["spec_version"] == version
        assert facts["timestamp"] == EPOCH_RFC3339
        assert {t["name"] for t in facts["tools"]} >= {"cyclonedx-py"}
        assert all(set(c) == COMPONENT_KEYS for c in facts["components"])
        assert facts["component_count"] == 3
        assert facts["subjects"] == [facts["subject"]]
    assert from_json["subject"]["pointer"] == "/metadata/component"
    assert from_xml["subject"]["pointer"] == "/bom/metadata/component"
    for facts in (from_json, from_xml):
        subject = {k: v for k, v in facts["subject"].items() if k != "pointer"}
        assert subject == {"name": "demo-app", "version": "1.2.3", "purl": None, "digests": {}}
    assert without_pointers(from_json["components"]) == without_pointers(from_xml["components"])
    by_name = {c["name"]: c for c in from_xml["components"]}
    assert by_name["click"]["purl"] == "pkg:pypi/click@8.1.7"
    assert by_name["six"]["version"] is None
    assert from_json["tools"] == from_xml["tools"]


def test_xml_components_carry_xpath_like_pointers(
    generated: dict[tuple[str, str], Path],
) -> None:
    _, facts = parse_file(generated["1.6", "XML"])
    pointers = [c["pointer"] for c in facts["components"]]
    assert pointers == [f"/bom/components/component[{i}]" for i in (1, 2, 3)]


def test_nested_xml_components_are_listed_with_their_path(
    generated: dict[tuple[str, str], Path],
) -> None:
    text = generated["1.6", "XML"].read_text("utf-8")
    nested = (
        '<components><component type="library"><name>inner</name><version>1.0</version>'
        f'<hashes><hash alg="SHA-256">{"AB" * 32}</hash></hashes>'
        "<licenses><expression>MIT OR Apache-2.0</expression></licenses>"
        "<purl>pkg:pypi/inner@1.0</purl></component></components>\n    </component>"
    )
    # The first component's end tag: nested components follow externalReferences in the XSD.
    first_end = text.index("</component>", text.index("\n  <components>"))
    text = text[:first_end] + nested + text[first_end + len("</component>") :]
    _, facts = parse_bytes(text.encode(), "nested.xml")
    assert facts["valid"] is True, facts["errors"]
    inner = [c for c in facts["components"] if c["name"] == "inner"]
    assert inner[0]["pointer"] == "/bom/components/component[1]/components/component[1]"
    assert inner[0]["hashes"] == {"sha256": "ab" * 32}
    assert inner[0]["licenses"] == [
        {"name": "MIT OR Apache-2.0", "spdx": "MIT OR Apache-2.0", "text": False}
    ]
    assert facts["component_count"] == 4


def test_cyclonedx_py_environment_sbom_is_valid_xml(producer_dir: Path) -> None:
    path = cyclonedx_py(
        producer_dir,
        "environment",
        "--pyproject",
        "pyproject.toml",
        "--sv",
        "1.6",
        "--of",
        "XML",
        out="env.xml",
    )
    fmt, facts = parse_file(path)
    assert fmt == "cyclonedx-xml"
    assert facts["valid"] is True, facts["errors"]
    assert facts["component_count"] >= 10  # this very environment: pytest, lxml, ...
    assert all(c["version"] for c in facts["components"])
    # Only a project installed from a local path (gatecheck itself, editable) has no purl.
    assert {c["name"] for c in facts["components"] if not c["purl"]} <= {"gatecheck"}
    assert any(c["licenses"] for c in facts["components"])


def test_schema_invalid_xml_is_a_fact_not_an_error(
    generated: dict[tuple[str, str], Path],
) -> None:
    text = (
        generated["1.5", "XML"].read_text("utf-8").replace('type="library"', 'type="spaceship"', 1)
    )
    _, facts = parse_bytes(text.encode(), "bad.xml")
    assert facts["valid"] is False
    assert any("spaceship" in e and e.startswith("line ") for e in facts["errors"])
    assert facts["component_count"] == 3  # still normalized, for the control to cite


def test_schema_invalid_json_is_a_fact_not_an_error(
    generated: dict[tuple[str, str], Path],
) -> None:
    bom = json.loads(generated["1.6", "JSON"].read_text("utf-8"))
    bom["components"][0]["type"] = "spaceship"
    _, facts = parse_bytes(json.dumps(bom).encode(), "bad.json")
    assert facts["valid"] is False
    assert any(e.startswith("/components/0/type:") for e in facts["errors"])


def test_unsupported_cyclonedx_xml_version_is_read_but_invalid(
    generated: dict[tuple[str, str], Path],
) -> None:
    text = (
        generated["1.6", "XML"]
        .read_text("utf-8")
        .replace("http://cyclonedx.org/schema/bom/1.6", "http://cyclonedx.org/schema/bom/1.7")
    )
    fmt, facts = parse_bytes(text.encode(), "future.xml")
    assert fmt == "cyclonedx-xml"
    assert facts["valid"] is False
    assert "CycloneDX 1.7 is not supported" in facts["errors"][0]


def test_external_dtd_is_never_loaded_during_validation(
    generated: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    # Were the DTD loaded, its attribute default would add an attribute the XSD forbids.
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ATTLIST component injected CDATA "yes">', encoding="utf-8")
    text = generated["1.6", "XML"].read_text("utf-8")
    doctype = f'<!DOCTYPE bom SYSTEM "{dtd.as_uri()}">\n'
    text = text.replace("<bom ", doctype + "<bom ", 1)
    _, facts = parse_bytes(text.encode(), "doctype.xml")
    assert facts["valid"] is True, facts["errors"]


# -- real third-party CycloneDX XML ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "count", "subject", "tool"),
    [
        (
            "cdx-1.4-laravel-7.12.0-cyclonedx-php-composer.xml",
            "1.4",
            62,
            "cyclonedx-php-composer-demo",
            "cyclonedx-php-composer",
        ),
        (
            "cdx-1.5-cyclonedx-py-environment-with-extras.xml",
            "1.5",
            31,
            "with-extras",
            "cyclonedx-py",
        ),
        ("cdx-1.6-cyclonedx-npm-bundled-deps.xml", "1.6", 52, "demo-bundled-deps", "npm"),
    ],
)
def test_third_party_cyclonedx_xml_validates_and_normalizes(
    name: str, version: str, count: int, subject: str, tool: str
) -> None:
    fmt, facts = parse_file(DATA / name)
    assert fmt == "cyclonedx-xml"
    assert facts["valid"] is True, facts["errors"]
    assert facts["spec_version"] == version
    assert facts["component_count"] == count
    assert facts["subject"]["name"] == subject
    assert tool in {t["name"] for t in facts["tools"]}
    assert all(c["purl"] for c in facts["components"])


def test_xml_license_ids_and_names_are_read() -> None:
    _, facts = parse_file(DATA / "cdx-1.4-laravel-7.12.0-cyclonedx-php-composer.xml")
    assert facts["components"][0]["name"] == "stack-cors"
    assert facts["components"][0]["licenses"] == [{"name": "MIT", "spdx": "MIT", "text": False}]
    _, facts = parse_file(DATA / "cdx-1.5-cyclonedx-py-environment-with-extras.xml")
    arrow = facts["components"][0]
    # The trove name as written; "Apache Software License" names no single SPDX license.
    assert arrow["licenses"] == [
        {"name": "License :: OSI Approved :: Apache Software License", "spdx": None, "text": False}
    ]


def test_trivy_cyclonedx_json_keeps_components_without_version_or_purl() -> None:
    _, facts = parse_file(DATA / "cdx-1.6-trivy-npm-with-vulnerabilities.json")
    assert facts["valid"] is True
    assert facts["timestamp"] == "2021-08-25T12:20:30Z"
    assert facts["tools"] == [{"name": "trivy", "version": "dev"}]
    lockfile = facts["components"][0]
    assert (lockfile["name"], lockfile["version"], lockfile["purl"]) == (
        "package-lock.json",
        None,
        None,
    )
    assert lockfile["pointer"] == "/components/0"


# -- unreadable and hostile input -----------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE bom [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><metadata>&lol3;</metadata></bom>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
<components><component type="library"><name>&xxe;</name></component></components></bom>
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "compo', "not valid JSON"),
        (
            b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata>',
            "not well-formed XML",
        ),
        (BILLION_LAUGHS, "unsafe XML refused"),
        (EXTERNAL_ENTITY, "unsafe XML refused"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": [', "not valid JSON"),
    ],
    ids=["truncated-json", "truncated-xml", "billion-laughs", "external-entity", "truncated-spdx"],
)
def test_unreadable_sbom_raises_evidence_error_naming_the_file(raw: bytes, expected: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        registry.detect(Document(raw, "sbom.in"))
    message = caught.value.diagnostics()
    assert message.startswith("sbom.in: ")
    assert expected in message
    assert "\n" not in message
    with pytest.raises(EvidenceError, match=r"^sbom\.in: "):
        registry.detect(Document(raw, "sbom.in"), "sbom")


@pytest.mark.parametrize(
    "raw",
    [
        b'<bom xmlns="http://example.com/not-cyclonedx" version="1"/>',
        b'<components xmlns="http://cyclonedx.org/schema/bom/1.6"/>',
        b'<bom version="1"/>',
    ],
    ids=["foreign-namespace", "wrong-root", "no-namespace"],
)
def test_xml_with_wrong_root_is_not_a_cyclonedx_sbom(raw: bytes) -> None:
    doc = Document(raw, "other.xml")
    with pytest.raises(EvidenceError, match=r"^other\.xml: not a supported sbom format"):
        registry.detect(doc, "sbom")
    with pytest.raises(EvidenceError, match=r"^other\.xml: not a CycloneDX XML document"):
        CycloneDxParser().parse(doc, "cyclonedx-xml", ParseContext())


def test_spdx_parser_refuses_a_document_that_is_not_spdx() -> None:
    with pytest.raises(EvidenceError, match=r"^x\.json: not an SPDX 2\.x JSON document"):
        SpdxParser().parse(
            Document(b'{"spdxVersion": "SPDX-3.0"}', "x.json"), "spdx-json", ParseContext()
        )


# -- SPDX 2.3 JSON --------------------------------------------------------------------------


def test_spdx_example_subject_components_licenses_and_hashes() -> None:
    fmt, facts = parse_file(DATA / "spdx-2.3-SPDXJSONExample-v2.3.spdx.json")
    assert fmt == "spdx-json"
    assert set(facts) == SBOM_KEYS
    assert facts["valid"] is True, facts["errors"]
    assert (facts["spec"], facts["spec_version"]) == ("spdx", "2.3")
    assert facts["timestamp"] == "2010-01-29T18:30:22Z"
    assert facts["tools"] == [{"name": "LicenseFind", "version": "1.0"}]
    # documentDescribes names a file and a package; only the package is a subject.
    assert [s["name"] for s in facts["subjects"]] == ["glibc"]
    glibc = facts["subject"]
    assert glibc["version"] == "2.11.1"
    assert glibc["digests"]["sha256"] == (
        "11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd"
    )
    assert "blake2b384" in glibc["digests"]
    assert glibc["pointer"] == "/packages/0"
    by_name = {c["name"]: c for c in facts["components"]}
    assert set(by_name) == {"Apache Commons Lang", "Jena", "Saxon"}
    assert by_name["Apache Commons Lang"]["licenses"] == []  # NOASSERTION is no license
    assert by_name["Saxon"]["licenses"] == [{"name": "MPL-1.0", "spdx": "MPL-1.0", "text": False}]
    assert by_name["Saxon"]["hashes"] == {"sha1": "85ed0817af83a24ad8da68c2b5094de69833983c"}
    assert by_name["Jena"]["purl"] == "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    assert all(set(c) == COMPONENT_KEYS for c in facts["components"])


def test_spdx_describes_relationship_selects_the_subject() -> None:
    _, facts = parse_file(DATA / "spdx-2.3-trivy-conda.spdx.json")
    assert facts["valid"] is True, facts["errors"]
    assert facts["subject"]["name"] == "testdata/fixtures/repo/conda"
    assert [(c["name"], c["version"], c["purl"], c["type"]) for c in facts["components"]] == [
        ("openssl", "1.1.1q", "pkg:conda/openssl@1.1.1q", "library"),
        ("pip", "22.2.2", "pkg:conda/pip@22.2.2", "library"),
    ]
    assert facts["tools"] == [{"name": "trivy-dev", "version": None}]


def test_spdx_maven_plugin_document_keeps_declared_license_expressions() -> None:
    _, facts = parse_file(DATA / "spdx-2.3-examplemaven-spdx-maven-plugin.spdx.json")
    assert facts["valid"] is True, facts["errors"]
    assert facts["subject"]["name"] == "examplemaven"
    assert facts["component_count"] == 5
    junit = next(c for c in facts["components"] if c["name"] == "JUnit")
    # concluded NOASSERTION, declared CPL-1.0
    assert junit["licenses"] == [{"name": "CPL-1.0", "spdx": "CPL-1.0", "text": False}]


def spdx_example() -> dict[str, Any]:
    return json.loads((DATA / "spdx-2.3-trivy-conda.spdx.json").read_text("utf-8"))


def spdx_facts(document: dict[str, Any]) -> dict[str, Any]:
    return parse_bytes(json.dumps(document).encode(), "doc.spdx.json")[1]


def test_spdx_2_2_is_read_but_marked_invalid() -> None:
    document = spdx_example()
    document["spdxVersion"] = "SPDX-2.2"
    facts = spdx_facts(document)
    assert facts["valid"] is False
    assert facts["spec_version"] == "2.2"
    assert facts["errors"] == ["/spdxVersion: 'SPDX-2.2' is not supported (supported: SPDX-2.3)"]
    assert facts["component_count"] == 2


def test_spdx_missing_required_fields_are_listed_with_pointers() -> None:
    document = spdx_example()
    del document["name"]
    del document["creationInfo"]["created"]
    document["dataLicense"] = "MIT"
    del document["packages"][0]["downloadLocation"]
    document["packages"][1]["SPDXID"] = document["packages"][0]["SPDXID"]
    facts = spdx_facts(document)
    assert facts["valid"] is False
    assert set(facts["errors"]) >= {
        "/: required property 'name' is missing",
        "/creationInfo: required property 'created' is missing",
        "/dataLicense: must be 'CC0-1.0', not 'MIT'",
        "/packages/0: required property 'downloadLocation' is missing",
    }
    assert any(
        e.startswith("/packages/1/SPDXID:") and "also used at /packages/0" in e
        for e in facts["errors"]
    )


def test_spdx_document_that_describes_nothing_is_invalid() -> None:
    document = spdx_example()
    document["relationships"] = [
        r for r in document["relationships"] if r["relationshipType"] != "DESCRIBES"
    ]
    facts = spdx_facts(document)
    assert facts["valid"] is False
    assert facts["subject"] is None and facts["subjects"] == []
    assert any("describes nothing" in e for e in facts["errors"])


def test_spdx_described_by_relationship_and_unknown_targets() -> None:
    document = spdx_example()
    document["relationships"] = [
        {
            "spdxElementId": "SPDXRef-Package-1c3eafceb0a76303",
            "relationshipType": "DESCRIBED_BY",
            "relatedSpdxElement": "SPDXRef-DOCUMENT",
        },
    ]
    document["documentDescribes"] = ["SPDXRef-Missing"]
    facts = spdx_facts(document)
    assert [s["name"] for s in facts["subjects"]] == ["pip"]
    assert any("'SPDXRef-Missing' is not in the document" in e for e in facts["errors"])


def test_spdx_checksum_algorithms_are_lowercased_like_cyclonedx() -> None:
    document = spdx_example()
    document["packages"][0]["checksums"] = [
        {"algorithm": "SHA256", "checksumValue": "AB" * 32},
        {"algorithm": "SHA3-256", "checksumValue": "cd" * 32},
    ]
    document["packages"][0]["licenseConcluded"] = "NONE"
    document["packages"][0]["licenseDeclared"] = "MIT OR Apache-2.0"
    openssl = next(c for c in spdx_facts(document)["components"] if c["name"] == "openssl")
    assert openssl["hashes"] == {"sha256": "ab" * 32, "sha3256": "cd" * 32}
    assert openssl["licenses"] == [
        {"name": "MIT OR Apache-2.0", "spdx": "MIT OR Apache-2.0", "text": False}
    ]


@pytest.mark.parametrize(
    ("creator", "expected"),
    [
        ("Tool: LicenseFind-1.0", ("LicenseFind", "1.0")),
        ("Tool: syft-1.18.1", ("syft", "1.18.1")),
        ("Tool: spdx-maven-plugin", ("spdx-maven-plugin", None)),
        ("Tool: trivy-dev", ("trivy-dev", None)),
        ("Organization: ACME", None),
    ],
)
def test_spdx_tool_creators_split_name_and_version(
    creator: str, expected: tuple[str, str | None] | None
) -> None:
    tool = parse_tool(creator)
    assert (None if tool is None else (tool.name, tool.version)) == expected


# -- the controls, on real SBOMs through OPA ------------------------------------------------


def evidence_item(path: Path, added_at: str) -> dict[str, Any]:
    """One input.evidence.sbom item as the framework builds it around a parser's facts."""
    raw = path.read_bytes()
    doc = Document(raw, path.name)
    parser, fmt = registry.detect(doc)
    facts = parser.parse(doc, fmt, ParseContext())
    tool = parser.tool(doc, fmt)
    digest = sha256_bytes(raw)
    facts["source"] = {
        "path": f"evidence/{digest}{path.suffix}",
        "sha256": digest,
        "format": fmt,
        "name": path.name,
        "added_at": added_at,
    }
    facts["tool"] = tool.as_dict() if tool else None
    facts["labels"] = {}
    return facts


def evaluate_controls(
    artifacts: list[dict[str, Any]],
    sboms: list[dict[str, Any]],
    effective: str = "2025-12-01T00:00:00Z",
) -> dict[str, dict[str, Any]]:
    from gatecheck.engine.embedded import EmbeddedEngine
    from gatecheck.engine.policy import load_policy_set
    from gatecheck.timeutil import parse_rfc3339, to_ns

    input_doc = {
        "stage": "production",
        "effective_time": effective,
        "effective_time_ns": to_ns(parse_rfc3339(effective)),
        "release": {
            "name": "demo",
            "version": "1.2.3",
            "artifacts": artifacts,
            "source": {"path": "evidence/release.json"},
        },
        "bundle": {},
        "evidence": {"sbom": sboms},
    }
    report = EmbeddedEngine().evaluate(load_policy_set(), input_doc, "gatecheck.main.report")
    assert report["errors"] == []
    return {c["id"]: c for c in report["controls"] if c["id"] in ("GC-ART-003", "GC-ART-004")}


def test_controls_pass_a_real_sbom_describing_the_artifact_and_fail_another_version(
    producer_dir: Path,
) -> None:
    (producer_dir / "pinned.txt").write_text("click==8.1.7\nidna==3.7\n", encoding="utf-8")
    path = cyclonedx_py(
        producer_dir,
        "requirements",
        "pinned.txt",
        "--pyproject",
        "pyproject.toml",
        "--sv",
        "1.5",
        out="pinned-1.5.json",
    )
    sbom = evidence_item(path, "2025-11-30T00:00:00Z")
    good = evaluate_controls([{"name": "demo-app", "version": "1.2.3"}], [sbom])
    assert good["GC-ART-003"]["violations"] == []
    assert good["GC-ART-003"]["enforcement"] == "fail"
    assert good["GC-ART-004"]["violations"] == []
    # cyclonedx-py's requirements mode records no licenses: advisory only.
    assert "2 of 2 components" in good["GC-ART-004"]["warnings"][0]["msg"]

    agpl = copy.deepcopy(sbom)
    agpl["components"][0]["licenses"] = [
        {"name": "MIT OR AGPL-3.0-or-later", "spdx": "MIT OR AGPL-3.0-or-later", "text": False}
    ]
    bad = evaluate_controls(
        [{"name": "demo-app", "version": "1.2.4"}], [agpl], effective="2026-02-01T00:00:00Z"
    )
    messages = [v["msg"] for v in bad["GC-ART-003"]["violations"]]
    assert len(messages) == 1 and "no SBOM describes artifact demo-app 1.2.4" in messages[0]
    assert "pinned-1.5.json describes demo-app 1.2.3" in messages[0]
    assert [w["msg"] for w in bad["GC-ART-003"]["warnings"]][0].startswith("SBOM pinned-1.5.json")
    (license_violation,) = bad["GC-ART-004"]["violations"]
    assert license_violation["scope"] == {"component": agpl["components"][0]["purl"]}
    assert license_violation["evidence"][0]["pointer"] == agpl["components"][0]["pointer"]


def test_controls_judge_an_spdx_document_by_digest_age_and_identification() -> None:
    sbom = evidence_item(DATA / "spdx-2.3-SPDXJSONExample-v2.3.spdx.json", "2010-01-30T00:00:00Z")
    glibc_digest = "sha256:" + sbom["subject"]["digests"]["sha256"]
    results = evaluate_controls(
        [{"name": "libc-image", "version": "9.9.9", "digest": glibc_digest}], [sbom]
    )
    messages = [v["msg"] for v in results["GC-ART-003"]["violations"]]
    # Matched by digest despite another name, then failed for age and unidentified packages.
    assert not any("no SBOM describes" in m for m in messages)
    assert any("days before the effective time (at most 30 allowed)" in m for m in messages)
    assert any("component(s) without a version or purl" in m for m in messages)
    warnings = [w["msg"] for w in results["GC-ART-004"]["warnings"]]
    assert any("have no license information" in w for w in warnings)


def test_rego_tests_of_the_sbom_controls_pass() -> None:
    from gatecheck.engine.embedded import EmbeddedEngine
    from gatecheck.engine.policy import load_policy_set

    policies = load_policy_set(include_tests=True)
    # with the parsed facts the tests build their records on
    wanted = ("/art_003_test.rego", "/art_004_test.rego", "/lib/facts_test.rego")
    policies.tests = [t for t in policies.tests if t.path.endswith(wanted)]
    assert len(policies.tests) == 3
    results = EmbeddedEngine().run_tests(policies)
    assert len(results) >= 30
    assert [(r.name, r.message) for r in results if r.status != "pass"] == []
