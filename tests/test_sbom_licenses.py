"""License names resolved to SPDX ids (GC-ART-004): the resolver, the SBOM facts of real
cyclonedx-py output and of corpus files, and the control through ``gatecheck evaluate``.

The SBOMs are made by the real cyclonedx-py CLI from installed-package metadata, or are
cyclonedx-py's own snapshots from /work/shared/corpus (sources in its SOURCES.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import venv
from pathlib import Path
from typing import Any

import pytest
from helpers import cyclonedx_py_command, make_bundle, run_gatecheck

from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.sbom.licenses import resolve

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "sbom"
ART_004_TESTS = ROOT / "policies" / "artifacts" / "art_004_test.rego"
DIGEST = "sha256:" + "cd" * 32


@pytest.mark.parametrize(
    ("written", "spdx"),
    [
        ("Server Side Public License", "SSPL-1.0"),
        ("Server Side Public License, v 1", "SSPL-1.0"),
        ("server side public licence version 1.0", "SSPL-1.0"),
        ("MIT License", "MIT"),
        ("mit", "MIT"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("AGPL-3.0", "AGPL-3.0-only"),  # deprecated id -> current id
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("(Apache-2.0 AND SSPL-1.0)", "Apache-2.0 AND SSPL-1.0"),
        ("MIT OR LicenseRef-acme", "MIT OR LicenseRef-acme"),
        ("License :: OSI Approved :: MIT License", "MIT"),
        ("License :: OSI Approved :: GNU Affero General Public License v3", "AGPL-3.0-only"),
        (
            "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
            "AGPL-3.0-or-later",
        ),
        ("License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
        ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
        ("License :: OSI Approved :: ISC License (ISCL)", "ISC"),
    ],
)
def test_names_ids_and_trove_classifiers_resolve_to_spdx(written: str, spdx: str) -> None:
    assert resolve(written) == spdx


@pytest.mark.parametrize(
    "written",
    [
        # Ambiguous: several SPDX licenses carry the name (PEP 639 leaves these unmapped too).
        "License :: OSI Approved :: BSD License",
        "License :: OSI Approved :: Apache Software License",
        "GNU General Public License",
        # Near misses must not resolve to a neighbour.
        "Server Side Public Licence Extended",
        "MIT-ish",
        "MIT AND",
        "",
        "   ",
    ],
)
def test_ambiguous_or_unknown_names_resolve_to_nothing(written: str) -> None:
    assert resolve(written) is None


def test_every_license_fixture_in_the_rego_tests_is_one_the_parsers_produce() -> None:
    """art_004_test.rego writes license facts by hand; each lic(name, spdx) pair must be what
    the SBOM parsers would write for that name, so the Rego tests cannot drift from them."""
    source = ART_004_TESTS.read_text(encoding="utf-8")
    pairs = re.findall(r'lic\("((?:[^"\\]|\\.)*)", (null|"[^"]*")\)', source)
    assert len(pairs) >= 15
    for name, spdx in pairs:
        expected = None if spdx == "null" else spdx.strip('"')
        assert resolve(name.replace('\\"', '"')) == expected, name


def parse(path: Path) -> dict[str, Any]:
    doc = Document(path.read_bytes(), path.name)
    parser, fmt = registry.detect(doc)
    return parser.parse(doc, fmt, ParseContext())


def licenses_by_component(facts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {c["name"]: c["licenses"] for c in facts["components"]}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")
def test_corpus_cyclonedx_py_trove_names_resolve_or_stay_unresolved() -> None:
    by_name = licenses_by_component(
        parse(CORPUS / "cdx-1.5-cyclonedx-py-environment-with-extras.xml")
    )
    assert by_name["fqdn"] == [
        {
            "name": "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
            "spdx": "MPL-2.0",
            "text": False,
        }
    ]
    assert by_name["jsonpointer"][0]["spdx"] is None  # "BSD License": which BSD?
    assert by_name["attrs"][0] == {"name": "MIT", "spdx": "MIT", "text": False}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")
def test_corpus_pep639_license_files_are_marked_as_texts() -> None:
    by_name = licenses_by_component(
        parse(CORPUS / "cdx-1.6-cyclonedx-py-license-texts-pep639.json")
    )
    boolean = by_name["boolean.py"]
    assert boolean[0] == {"name": "BSD-2-Clause", "spdx": "BSD-2-Clause", "text": False}
    assert {(entry["spdx"], entry["text"]) for entry in boolean[1:]} == {(None, True)}
    chardet = by_name["chardet"]
    assert chardet[0]["spdx"] is None  # LGPLv2+: 2.0 or 2.1?


# -- real cyclonedx-py output, through gatecheck evaluate -----------------------------------


def fake_distribution(site: Path, name: str, version: str, headers: list[str]) -> None:
    """An installed distribution's metadata, as pip leaves it in site-packages."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *headers]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def environment_sbom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cyclonedx-py ``environment`` over a virtualenv holding three packages whose metadata
    names their licenses as text and as trove classifiers."""
    command = cyclonedx_py_command()  # skips, saying why, without the test extra
    work = tmp_path_factory.mktemp("licenses")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    fake_distribution(site, "mongo-like", "1.0.0", ["License: Server Side Public License"])
    fake_distribution(
        site, "trove-mit", "2.0.0", ["Classifier: License :: OSI Approved :: MIT License"]
    )
    fake_distribution(site, "in-house", "0.3.0", ["License: ACME Internal Terms"])
    fake_distribution(
        site, "some-bsd", "4.0.0", ["Classifier: License :: OSI Approved :: BSD License"]
    )
    (work / "pyproject.toml").write_text(
        '[project]\nname = "demo-app"\nversion = "1.2.3"\n', encoding="utf-8"
    )
    out = work / "bom.json"
    subprocess.run(
        [*command, "environment", str(python), "--pyproject", "pyproject.toml"]
        + ["--sv", "1.6", "--gather-license-texts", "--output-reproducible", "-o", str(out)],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(int(time.time()) - 3600)},
    )
    return out


def test_cyclonedx_py_environment_names_resolve_in_the_facts(environment_sbom: Path) -> None:
    by_name = licenses_by_component(parse(environment_sbom))
    assert [entry["spdx"] for entry in by_name["mongo-like"]] == ["SSPL-1.0"]
    assert [entry["spdx"] for entry in by_name["trove-mit"]] == ["MIT"]
    assert [entry["spdx"] for entry in by_name["in-house"]] == [None]
    assert [entry["spdx"] for entry in by_name["some-bsd"]] == [None]
    # cyclonedx-py attaches the License field as a text; its one-line content is the name.
    assert by_name["mongo-like"][0]["name"] == "Server Side Public License"
    assert by_name["mongo-like"][0]["text"] is True


def evaluate(bundle: Path, stage: str) -> dict[str, Any]:
    proc = run_gatecheck("evaluate", str(bundle), "--stage", stage, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def control(report: dict[str, Any], control_id: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["control"] == control_id)


def test_gc_art_004_denies_a_license_named_server_side_public_license(
    tmp_path: Path, environment_sbom: Path
) -> None:
    bundle = make_bundle(
        tmp_path / "b",
        [environment_sbom],
        name="demo-app",
        version="1.2.3",
        artifacts=[{"name": "demo-app", "version": "1.2.3", "digest": DIGEST}],
    )
    # At staging GC-ART-004 is advisory; the same findings fail an enforced stage profile.
    art_004 = control(evaluate(bundle, "staging"), "GC-ART-004")
    messages = " ".join(art_004["messages"])
    assert "mongo-like 1.0.0" in messages and "SSPL-1.0 from license_deny" in messages
    assert "(SPDX SSPL-1.0)" in messages
    assert "ACME Internal Terms" in messages and "name no SPDX license" in messages
    assert "BSD License" in messages
    assert "trove-mit" not in messages
    assert art_004["status"] in ("warn", "fail")


def test_gc_art_004_unresolvable_name_alone_only_warns(tmp_path: Path) -> None:
    """The adversary's variant: rename the denied license to something no list knows. It
    cannot pass silently: the control warns, naming the string."""
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "demo-app", "version": "1.2.3"}},
        "components": [
            {
                "type": "library",
                "name": "mongo-like",
                "version": "1.0.0",
                "purl": "pkg:pypi/mongo-like@1.0.0",
                "licenses": [{"license": {"name": "Serverside Publik License"}}],
            }
        ],
    }
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom), encoding="utf-8")
    bundle = make_bundle(
        tmp_path / "b",
        [path],
        name="demo-app",
        version="1.2.3",
        artifacts=[{"name": "demo-app", "version": "1.2.3", "digest": DIGEST}],
    )
    art_004 = control(evaluate(bundle, "staging"), "GC-ART-004")
    assert any('"Serverside Publik License"' in m for m in art_004["messages"]), art_004
    assert art_004["status"] != "pass"


def test_the_name_table_maps_each_listed_id_as_the_expression_parser_does() -> None:
    """The name table takes each SPDX list id's current form from one symbol dictionary
    instead of parsing every id; for every id of the bundled list both give the same id
    (deprecated ``GPL-2.0`` -> ``GPL-2.0-only`` included)."""
    from gatecheck.evidence.sbom import licenses
    from gatecheck.evidence.sbom.cyclonedx import schema_dir

    listed = json.loads((schema_dir() / "spdx.SNAPSHOT.schema.json").read_text())["meta:enum"]
    fast = licenses._current_ids()
    looked_up = [i for i in listed if i.casefold() in fast]
    assert len(looked_up) > 600, "the symbol dictionary covers few listed ids"
    assert fast["gpl-2.0"] == "GPL-2.0-only"
    differ = {
        i: (fast[i.casefold()], licenses._expression(i))
        for i in looked_up
        if fast[i.casefold()] != licenses._expression(i)
    }
    assert differ == {}
