"""The adversarial corpus through the real CLI, plus the hardening each case relies on.

Every case of tests/adversarial/cases.py runs in a fresh ``gatecheck`` process and must end
in exit 2 with one line naming the problem, no traceback, a byte-identical work and temp
folder, nothing at its absolute escape target, within 10 s and 512 MiB. Hostile evidence is
refused at ``bundle add``; smuggled into a sealed bundle it gives decision error at
``evaluate``. The cases run two at a time in one fixture, then are judged one test each.
"""

from __future__ import annotations

import json
import os
import tarfile
import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from adversarial import cases as corpus
from adversarial.runner import Outcome, prepare, run_case, run_forked
from helpers import run_gatecheck
from trust_support import TrustKit, bundle_release, sign_bundle_release

from gatecheck.bundles import archive
from gatecheck.engine import inputdoc
from gatecheck.errors import BundleError, EvidenceError, TamperError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, ParseContext

CASES = corpus.all_cases()


# One case per family (and both refusal paths) also runs as a separately exec'd
# ``python -m gatecheck``-style process, to show the forked runs behave the same.
EXEC_SAMPLE = (
    "tar-gzip-bomb",
    "tar-dotdot-evaluate",
    "xml-deep-junit",
    "json-lone-surrogate",
    "yaml-alias-bomb",
    "manifest-resealed-entry-edited",
    "json-wrong-type-smuggled",
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("adversarial")
    # Forked runs first, one at a time: no other thread may exist when the process forks.
    return {c.id: run_case(c, base, forked=True) for c in CASES}


@pytest.fixture(scope="module")
def exec_outcomes(
    tmp_path_factory: pytest.TempPathFactory, outcomes: dict[str, Outcome]
) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("adversarial-exec")
    sample = [c for c in CASES if c.id in EXEC_SAMPLE]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return {o.case.id: o for o in pool.map(lambda c: run_case(c, base), sample)}


def test_corpus_covers_every_family_with_at_least_40_cases() -> None:
    families = Counter(c.family for c in CASES)
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(families) == {"archive", "xml", "json", "yaml", "manifest"}
    assert min(families.values()) >= 5
    # Both refusal paths are exercised: at add, and smuggled past add into evaluate.
    assert sum(c.evaluate for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_in_one_line_without_side_effects(
    case: corpus.Case, outcomes: dict[str, Outcome]
) -> None:
    outcome = outcomes[case.id]
    assert outcome.problems() == [], outcome.stderr


@pytest.mark.parametrize("case_id", EXEC_SAMPLE)
def test_hostile_input_is_refused_the_same_by_a_fresh_process(
    case_id: str, exec_outcomes: dict[str, Outcome], outcomes: dict[str, Outcome]
) -> None:
    fresh = exec_outcomes[case_id]
    assert fresh.problems() == [], fresh.stderr
    assert fresh.returncode == outcomes[case_id].returncode
    first_words = [o.stderr.split(":")[:3] for o in (fresh, outcomes[case_id])]
    assert first_words[0] == first_words[1]


def test_the_harness_flags_an_accepted_input(tmp_path: Path) -> None:
    """The judge is not vacuous: a good bundle verifies (exit 0) and is reported as such."""

    def build(work: Path) -> list[str]:
        corpus.sealed(work)
        return ["bundle", "verify", "bundle"]

    outcome = run_case(corpus.Case("control", "manifest", build, "never"), tmp_path, forked=True)
    assert outcome.returncode == 0
    assert any("exit 0" in p for p in outcome.problems())


def test_the_harness_sees_a_file_written_outside(tmp_path: Path) -> None:
    case = corpus.Case("control-write", "manifest", lambda w: ["bundle", "verify", "x"], "x")
    folder, args = prepare(case, tmp_path)
    # A gatecheck command that writes into the work folder: init a new bundle there.
    outcome = run_forked(case, folder, ["bundle", "init", "made-here", "--release", "a@1"])
    assert any("files changed" in p for p in outcome.problems())


# --- the fixes behind the cases, in-process -------------------------------------------------


def test_xml_depth_is_bounded_while_parsing_not_after() -> None:
    """1,000,000 levels used to build a ~300 MB tree (3.5 s) before the depth check ran."""
    raw = b"<a>" * 1_000_000 + b"</a>" * 1_000_000
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(EvidenceError, match="nested deeper than 256 levels"):
        safe.load_xml(raw, name="deep.xml")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024


def test_xml_at_the_depth_limit_still_parses() -> None:
    limit = safe.MAX_XML_DEPTH
    root = safe.load_xml(b"<a>" * limit + b"</a>" * limit, name="ok.xml")
    assert root.tag == "a"
    with pytest.raises(EvidenceError, match="nested deeper"):
        safe.load_xml(b"<a>" * (limit + 1) + b"</a>" * (limit + 1), name="deep.xml")


def test_xml_external_dtd_is_not_fetched_and_does_not_break_parsing() -> None:
    # JaCoCo writes a DOCTYPE with an external DTD; it must parse without any fetch.
    raw = (
        b'<?xml version="1.0"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" '
        b'"http://127.0.0.1:9/report.dtd"><report name="x"/>'
    )
    assert safe.load_xml(raw, name="jacoco.xml").tag == "report"


def test_json_integers_beyond_64_digits_are_refused_and_up_to_64_kept() -> None:
    assert safe.load_json(b'{"n": ' + b"9" * 64 + b"}", name="a")["n"] == int("9" * 64)
    with pytest.raises(EvidenceError, match="65 digits"):
        safe.load_json(b'{"n": -' + b"9" * 65 + b"}", name="a")
    # A long digit run inside a string is data, not a number.
    assert safe.load_json(b'{"s": "' + b"1" * 100 + b'"}', name="a")["s"] == "1" * 100


def test_json_lone_surrogates_are_refused_but_pairs_kept() -> None:
    assert safe.load_json(b'{"e": "\\ud83d\\ude00"}', name="a")["e"] == "\U0001f600"
    with pytest.raises(EvidenceError, match="lone UTF-16 surrogate"):
        safe.load_json(b'{"\\udfff": 1}', name="a")


def test_yaml_aliases_are_refused_before_any_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(EvidenceError, match="aliases are not allowed"):
        safe.load_yaml(corpus.yaml_laughs(), name="laughs.yaml")
    assert time.perf_counter() - start < 1.0
    # An anchor alone (no alias) is harmless and stays allowed.
    assert safe.load_yaml(b"a: &x 1\nb: 2\n", name="ok.yaml") == {"a": 1, "b": 2}


def test_fifos_and_devices_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(EvidenceError, match="not a regular file"):
        safe.read_limited(fifo)  # no writer: a plain open() would block forever
    with pytest.raises(EvidenceError, match="not a regular file"):
        safe.read_limited(Path("/dev/zero"))
    assert time.perf_counter() - start < 1.0


class _Crashing:
    family, formats = "sbom", ("boom",)

    def detect(self, doc: Document) -> str:
        return "boom"

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict:
        return {"n": len(doc.json["components"])}  # TypeError on an int

    def tool(self, doc: Document, fmt: str) -> None:
        raise AttributeError("no tool")


def test_registry_turns_a_parser_crash_into_an_evidence_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "parsers", lambda family=None: (_Crashing(),))
    doc = Document(b'{"components": 3}', "bom.json")
    parser, fmt = registry.detect(doc)
    with pytest.raises(
        EvidenceError,
        match=r"bom\.json: unexpected content while reading it "
        r"as boom \(_Crashing: TypeError: ",
    ):
        registry.parse(doc, "sbom", fmt, ParseContext())
    with pytest.raises(EvidenceError, match="AttributeError: no tool"):
        registry.tool(doc, parser, fmt)


def test_evidence_swapped_after_verification_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory bundle can change between verify and parse; the parsed bytes must be the
    verified ones."""
    root = corpus.sealed(tmp_path)
    junit = corpus.evidence_path(root, "test-results")
    real_verify = archive.verify_bundle

    def verify_then_swap(path: Path):  # type: ignore[no-untyped-def]
        manifest = real_verify(path)
        junit.write_bytes(corpus.JUNIT.replace(b'failures="0"', b'failures="9"'))
        return manifest

    monkeypatch.setattr(archive, "verify_bundle", verify_then_swap)
    with archive.OpenedBundle(root) as opened, pytest.raises(TamperError, match="changed after"):
        inputdoc.build_input(
            opened.root,
            opened.manifest,
            stage="dev",
            effective=datetime.now(UTC),
            evidence_config={},
        )


def test_wrong_types_in_a_detected_sbom_become_facts_not_crashes() -> None:
    doc = Document(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": "all of them",
                "metadata": {"component": {"name": {"x": 1}}},
            }
        ).encode(),
        "bom.json",
    )
    parser, fmt = registry.detect(doc)
    facts = registry.parse(doc, parser.family, fmt, ParseContext())
    assert facts["valid"] is False and facts["errors"]


def test_archive_member_count_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 50)
    path = corpus.write_tgz(
        tmp_path / "many.tar.gz", [corpus.member(f"d{i}/", kind=tarfile.DIRTYPE) for i in range(51)]
    )
    (tmp_path / "out").mkdir()
    with pytest.raises(BundleError, match="more than 50 members"):
        archive.unpack_bundle(path, tmp_path / "out")


def test_compressible_archives_unpack_until_the_ratio_guard_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 MiB of zeros (~1000:1) unpacks while under RATIO_FREE_BYTES, and is refused as a
    bomb once the guard applies to it."""
    path = corpus.write_zero_bomb(
        tmp_path / "z.tar.gz", corpus.member("evidence/z.json", size=8 * corpus.MiB), 8 * corpus.MiB
    )
    (tmp_path / "ok").mkdir()
    archive.unpack_bundle(path, tmp_path / "ok")
    assert (tmp_path / "ok" / "evidence" / "z.json").stat().st_size == 8 * corpus.MiB
    monkeypatch.setattr(archive, "RATIO_FREE_BYTES", corpus.MiB)
    (tmp_path / "bomb").mkdir()
    with pytest.raises(BundleError, match="decompression bomb"):
        archive.unpack_bundle(path, tmp_path / "bomb")


def test_a_wrongly_typed_sbom_is_accepted_as_a_fact_and_fails_the_gate(tmp_path: Path) -> None:
    """components as a string, version as an object: not a crash, not a refusal (the file is
    a CycloneDX document), but facts that fail GC-ART-003 at production: never a pass."""
    root = corpus.draft(tmp_path)
    bom = tmp_path / "bom.json"
    bom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": {"a": 1},
                "components": "all of them",
                "metadata": {
                    "component": {
                        "type": "application",
                        "name": corpus.NAME,
                        "version": corpus.VERSION,
                    }
                },
            }
        )
    )
    # Signed by the CI job that is trusted for SBOMs: a fact at production, however odd.
    kit = TrustKit.for_release(bundle_release(root)[1])
    release = sign_bundle_release(kit, root, tmp_path / "release.dsse.json")
    signed_bom = kit.attest(bom, "sbom", "ci-build", tmp_path / "bom.dsse.json")
    config = kit.write_config(tmp_path / "gatecheck.yaml")
    add = run_gatecheck("bundle", "add", str(root), str(release), str(signed_bom))
    assert add.returncode == 0, add.stderr
    assert run_gatecheck("bundle", "seal", str(root)).returncode == 0
    result = run_gatecheck(
        "evaluate", str(root), "--stage", "production", "--config", str(config), "--format", "json"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    sbom = next(e for e in report["authenticity"]["evidence"] if e["type"] == "sbom")
    assert sbom["authenticated"] is True and sbom["producer"] == "ci-build"
    art_003 = next(r for r in report["results"] if r["control"] == "GC-ART-003")
    assert report["decision"] == "fail" and art_003["status"] == "fail"
    assert any("is not of type" in m for m in art_003["messages"])
