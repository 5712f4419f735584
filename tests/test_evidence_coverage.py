"""Coverage reports: coverage.py's own Cobertura XML, JSON and LCOV for the sample project,
and Cobertura (Java, coverlet), JaCoCo and LCOV (C++, Dart, JavaScript) from the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import coverage
import pytest
from sample_project.gate import evaluate, evidence_item
from sample_project.produce import SampleEvidence, produce

from gatecheck.errors import EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.testing.coverage import CoverageParser

DATA = Path(__file__).parent / "data" / "coverage"


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleEvidence:
    return produce(tmp_path_factory.getbasetemp() / "sample-project")


def parse_doc(doc: Document, fmt: str | None = None) -> dict[str, Any]:
    parser, detected = registry.detect(doc)
    assert parser.family == "coverage"
    if fmt is not None:
        assert detected == fmt
    return registry.parse(doc, "coverage", detected, ParseContext())


def parse_file(path: Path, fmt: str | None = None) -> dict[str, Any]:
    return parse_doc(Document.from_path(path), fmt)


def by_path(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in facts["files"]}


# --- coverage.py on the sample project --------------------------------------------------


@pytest.fixture(scope="module")
def measured(sample: SampleEvidence) -> dict[str, tuple[int, int]]:
    """Per-file (statements, covered) as coverage.py's own API computes them."""
    cov = coverage.Coverage(data_file=str(sample.coverage_data))
    cov.load()
    root = sample.coverage_data.parent
    result = {}
    for filename in cov.get_data().measured_files():
        _, statements, _, missing, _ = cov.analysis2(filename)
        rel = Path(filename).relative_to(root).as_posix()
        result[rel] = (len(statements), len(statements) - len(missing))
    return result


@pytest.mark.parametrize(
    ("attr", "fmt"),
    [("cobertura", "cobertura-xml"), ("coverage_json", "coveragepy-json"), ("lcov", "lcov")],
)
def test_each_coveragepy_format_matches_coverages_own_analysis(
    sample: SampleEvidence, measured: dict[str, tuple[int, int]], attr: str, fmt: str
) -> None:
    facts = parse_file(getattr(sample, attr), fmt)
    files = by_path(facts)
    assert (
        set(files)
        == set(measured)
        == {
            "ledger/__init__.py",
            "ledger/accounts.py",
            "ledger/fees.py",
        }
    )
    for path, (statements, covered) in measured.items():
        assert (files[path]["lines_valid"], files[path]["lines_covered"]) == (statements, covered)
    total_statements = sum(s for s, _ in measured.values())
    total_covered = sum(c for _, c in measured.values())
    assert facts["totals"]["lines_valid"] == total_statements
    assert facts["totals"]["line_rate"] == pytest.approx(total_covered / total_statements)
    assert facts["mismatches"] == []


def test_three_formats_agree_on_branches(sample: SampleEvidence) -> None:
    results = [parse_file(p) for p in (sample.cobertura, sample.coverage_json, sample.lcov)]
    branch_totals = {
        (r["totals"]["branches_valid"], r["totals"]["branches_covered"]) for r in results
    }
    assert len(branch_totals) == 1
    valid, covered = branch_totals.pop()
    # waive() is never called, so its one decision (two branches) is never taken.
    assert valid - covered == 2
    fees = [by_path(r)["ledger/fees.py"] for r in results]
    assert [f["branch_rate"] for f in fees] == pytest.approx([4 / 6] * 3)


def test_untested_module_is_below_the_well_tested_one(sample: SampleEvidence) -> None:
    files = by_path(parse_file(sample.coverage_json))
    assert files["ledger/accounts.py"]["line_rate"] == 1.0
    assert files["ledger/fees.py"]["line_rate"] < 0.9
    assert files["ledger/__init__.py"]["line_rate"] is None  # no statements at all
    assert files["ledger/fees.py"]["pointer"] == "/files/ledger~1fees.py"


def test_coveragepy_identifies_itself_and_its_time(sample: SampleEvidence) -> None:
    for path in (sample.cobertura, sample.coverage_json):
        facts = parse_file(path)
        assert facts["tool"] == {"name": "coverage.py", "version": coverage.__version__}
        assert facts["timestamp"].endswith("Z")
    assert parse_file(sample.lcov)["tool"] is None


def test_edited_coveragepy_summary_does_not_raise_coverage(
    sample: SampleEvidence, tmp_path: Path
) -> None:
    report = json.loads(sample.coverage_json.read_text())
    honest = parse_file(sample.coverage_json)["totals"]["lines_covered"]
    summary = report["files"]["ledger/fees.py"]["summary"]
    summary["covered_lines"] = summary["num_statements"]
    report["totals"]["covered_lines"] = report["totals"]["num_statements"]
    edited = tmp_path / "coverage.json"
    edited.write_text(json.dumps(report))
    facts = parse_file(edited)
    assert facts["totals"]["lines_covered"] == honest
    assert {m["what"] for m in facts["mismatches"]} == {"covered_lines", "lines_covered"}


def test_edited_cobertura_header_does_not_raise_coverage(
    sample: SampleEvidence, tmp_path: Path
) -> None:
    text = sample.cobertura.read_text()
    honest = parse_file(sample.cobertura)["totals"]
    edited = tmp_path / "coverage.xml"
    edited.write_text(
        text.replace(f'lines-covered="{honest["lines_covered"]}"', 'lines-covered="22"', 1).replace(
            'line-rate="0.', 'line-rate="0.99', 1
        )
    )
    facts = parse_file(edited)
    assert facts["totals"] == honest
    assert {m["what"] for m in facts["mismatches"]} == {"lines_covered", "line_rate"}


def test_real_coverage_passes_the_default_gate_but_fails_a_critical_path(
    sample: SampleEvidence,
) -> None:
    facts = parse_file(sample.coverage_json)
    item = evidence_item(facts, "coverage.json", "coveragepy-json")
    fees = by_path(facts)["ledger/fees.py"]
    assert facts["totals"]["line_rate"] >= 0.8 > fees["line_rate"]
    assert evaluate("tst_002", {"coverage": [item]})["deny"] == []
    strict = evaluate("tst_002", {"coverage": [item]}, {"critical_paths": ["ledger/*.py"]})
    # coverage.py lists the package's empty __init__.py with no statements: a critical file
    # with nothing measured shows no coverage, so the glob catches it too.
    unmeasured = [r for r in strict["deny"] if "with no measured lines" in r["msg"]]
    assert unmeasured
    assert [r["msg"].split(" is listed")[0] for r in unmeasured] == [
        f"critical file {path}"
        for path, file in sorted(by_path(facts).items())
        if path.startswith("ledger/") and file["line_rate"] is None
    ]
    [result] = [r for r in strict["deny"] if r not in unmeasured]
    assert result["control"] == "GC-TST-002"
    assert result["msg"].startswith("critical file ledger/fees.py has ")
    assert result["evidence"] == [
        {"path": "evidence/coverage.json", "pointer": "/files/ledger~1fees.py"}
    ]


def test_missing_coverage_fails_the_gate() -> None:
    [result] = evaluate("tst_002", {})["deny"]
    assert "no coverage report" in result["msg"]


# --- corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "lines", "branches"),
    [
        ("cobertura-2.1.1-java.xml", "cobertura-xml", (36, 24), (4, 1)),
        ("cobertura-coveragepy-5.0a2-branch.xml", "cobertura-xml", (5, 4), (2, 1)),
        ("cobertura-coverlet-dotnet-utf8bom.xml", "cobertura-xml", (255, 156), (14, 9)),
        ("coveragepy-7.12.0-json-format3.json", "coveragepy-json", (3027, 2962), (None, None)),
        ("jacoco-0.8.3.xml", "jacoco-xml", (38, 26), (4, 1)),
        ("lcov-flutter-dart.info", "lcov", (6776, 1803), (None, None)),
        ("lcov-cpp-windows-paths.info", "lcov", (19, 17), (None, None)),
        ("lcov-istanbul-js-with-branches.info", "lcov", (17, 16), (8, 7)),
    ],
)
def test_corpus_reports_give_their_totals(
    name: str, fmt: str, lines: tuple[int, int], branches: tuple[int | None, int | None]
) -> None:
    facts = parse_file(DATA / name, fmt)
    totals = facts["totals"]
    assert (totals["lines_valid"], totals["lines_covered"]) == lines
    assert (totals["branches_valid"], totals["branches_covered"]) == branches
    assert totals["line_rate"] == pytest.approx(lines[1] / lines[0])
    assert facts["mismatches"] == []


def test_cobertura_classes_sharing_a_file_are_merged() -> None:
    facts = parse_file(DATA / "cobertura-coverlet-dotnet-utf8bom.xml")
    paths = [f["path"] for f in facts["files"]]
    assert len(paths) == len(set(paths)) == facts["file_count"]
    assert "AbstractClass.cs" in paths
    assert facts["timestamp"] == "2025-10-29T20:13:30Z"  # coverlet stamps seconds


def test_cobertura_java_report_with_external_dtd_parses_offline() -> None:
    facts = parse_file(DATA / "cobertura-2.1.1-java.xml")
    assert facts["tool"] == {"name": "cobertura", "version": "2.1.1"}
    assert facts["timestamp"] == "2016-10-25T15:31:39.473000Z"  # Java stamps milliseconds
    assert by_path(facts)["test/AbstractClass.java"]["pointer"] == (
        "/coverage/packages[1]/package[1]/classes[1]/class[1]"
    )


def test_jacoco_paths_join_package_and_source_file() -> None:
    facts = parse_file(DATA / "jacoco-0.8.3.xml")
    test_class = by_path(facts)["test/TestClass.java"]
    assert test_class["pointer"] == "/report/package[1]/sourcefile[2]"
    assert test_class["branches_valid"] == 4 and test_class["branches_covered"] == 1
    assert facts["timestamp"] == "2018-09-29T15:21:02.781000Z"


def test_jacoco_aggregate_counts_modules_and_flags_an_inconsistent_header() -> None:
    facts = parse_file(DATA / "jacoco-aggregate-multimodule.xml")
    groups = {f.get("group") for f in facts["files"]}
    assert groups == {"module-1", "module-2", "module-3"}
    # The fixture's report-level counters (9,823 lines) do not add up from its source files.
    assert (facts["totals"]["lines_valid"], facts["totals"]["lines_covered"]) == (28, 10)
    assert facts["declared"]["lines_valid"] == 9823
    assert {"what": "lines_covered", "declared": 7593, "computed": 10} in facts["mismatches"]


def test_lcov_windows_paths_get_forward_slashes() -> None:
    facts = parse_file(DATA / "lcov-cpp-windows-paths.info")
    assert [f["path"] for f in facts["files"]] == [
        "C:/temp/sub/calculator.cpp",
        "C:/temp/main.cpp",
        "C:/temp/calculator.cpp",
    ]
    assert by_path(facts)["C:/temp/main.cpp"]["line"] == 10


def test_lcov_overflowed_hit_count_still_counts_as_hit() -> None:
    # Istanbul wrote 2**64-1 for line 13; LH (13 of 14) counts it as hit.
    run = by_path(parse_file(DATA / "lcov-istanbul-js-with-branches.info"))["lib/run.js"]
    assert (run["lines_valid"], run["lines_covered"]) == (14, 13)


def lcov(text: str, name: str = "lcov.info") -> dict[str, Any]:
    return parse_doc(Document(text.encode(), name), "lcov")


def test_lcov_records_for_one_file_are_merged() -> None:
    facts = lcov(
        "TN:unit\nSF:src/a.c\nDA:1,1\nDA:2,0\nend_of_record\n"
        "TN:integration\nSF:src/a.c\nDA:2,3\nDA:3,0\nend_of_record\n"
    )
    [entry] = facts["files"]
    assert (entry["lines_valid"], entry["lines_covered"]) == (3, 2)


def test_lcov_untaken_branch_dash_counts_as_missed() -> None:
    facts = lcov("SF:a.c\nDA:1,1\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nBRF:2\nBRH:1\nend_of_record\n")
    assert facts["totals"]["branches_valid"] == 2 and facts["totals"]["branches_covered"] == 1


def test_lcov_summary_counts_are_used_only_without_line_data() -> None:
    facts = lcov("SF:a.c\nLF:10\nLH:7\nend_of_record\n")
    assert (facts["totals"]["lines_valid"], facts["totals"]["lines_covered"]) == (10, 7)


def test_lcov_record_with_only_summaries_adds_to_a_file_with_line_data() -> None:
    facts = lcov("SF:a.c\nDA:1,1\nend_of_record\nSF:a.c\nLF:4\nLH:1\nend_of_record\n")
    assert (facts["totals"]["lines_valid"], facts["totals"]["lines_covered"]) == (5, 2)


def test_lcov_summary_that_disagrees_with_its_lines_is_recorded() -> None:
    facts = lcov("SF:a.c\nDA:1,1\nDA:2,0\nLF:2\nLH:2\nend_of_record\n")
    assert facts["totals"]["lines_covered"] == 1
    assert facts["mismatches"] == [
        {"what": "LH", "path": "a.c", "line": 1, "declared": 2, "computed": 1}
    ]


# --- detection and unreadable files ----------------------------------------------------


def test_lcov_detection_is_conservative() -> None:
    parser = CoverageParser()
    assert parser.detect(Document(b"print('SF:x')\nend_of_record\n", "x.py")) is None
    assert parser.detect(Document(b"SF:a.c\nDA:1,1\n", "partial.info")) is None
    assert parser.detect(Document(b"TN:\nSF:a.c\nend_of_record\n", "ok.info")) == "lcov"


def test_truncated_lcov_is_an_evidence_error() -> None:
    text = (DATA / "lcov-cpp-windows-paths.info").read_text()
    cut = text[: text.rindex("end_of_record")]
    with pytest.raises(EvidenceError, match=r"^cut\.info: record for C:/temp/calculator\.cpp"):
        CoverageParser().parse(Document(cut.encode(), "cut.info"), "lcov", ParseContext())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SF:a.c\nDA:one,1\nend_of_record\n", "line 2: line number 'one' is not an integer"),
        ("SF:a.c\nDA:1\nend_of_record\n", "line 2: DA needs line,hits"),
        ("SF:a.c\nSF:b.c\nend_of_record\n", "line 2: SF: inside the record of line 1"),
        ("TN:\nDA:1,1\nSF:a.c\nend_of_record\n", "line 2: DA: outside an SF: record"),
        ("SF:a.c\ngarbage\nend_of_record\n", "line 2: 'garbage' is not an LCOV record"),
    ],
)
def test_malformed_lcov_is_an_evidence_error(text: str, message: str) -> None:
    with pytest.raises(EvidenceError, match=f"^bad.info: {message}"):
        CoverageParser().parse(Document(text.encode(), "bad.info"), "lcov", ParseContext())


def test_truncated_cobertura_is_an_evidence_error() -> None:
    raw = (DATA / "cobertura-coveragepy-5.0a2-branch.xml").read_bytes()[:700]
    doc = Document(raw, "coverage.xml")
    with pytest.raises(EvidenceError, match=r"^coverage\.xml: not well-formed XML"):
        registry.detect(doc)
    with pytest.raises(EvidenceError, match="not well-formed XML"):
        CoverageParser().parse(doc, "cobertura-xml", ParseContext())


def test_billion_laughs_cobertura_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<coverage line-rate="&b;"><packages/></coverage>'
    )
    with pytest.raises(EvidenceError, match="unsafe XML refused"):
        CoverageParser().parse(Document(bomb, "bomb.xml"), "cobertura-xml", ParseContext())


def test_wrong_root_is_an_evidence_error() -> None:
    junit = Document(b"<testsuites/>", "junit.xml")
    assert CoverageParser().detect(junit) is None
    for fmt, expected in (("cobertura-xml", "<coverage>"), ("jacoco-xml", "<report>")):
        with pytest.raises(EvidenceError, match=f"root element <testsuites>, expected {expected}"):
            CoverageParser().parse(junit, fmt, ParseContext())


def test_cobertura_line_without_hit_count_is_an_evidence_error() -> None:
    doc = Document(
        b'<coverage><packages><package><classes><class filename="a.py"><lines>'
        b'<line number="1" hits="many"/></lines></class></classes></package></packages></coverage>',
        "c.xml",
    )
    with pytest.raises(EvidenceError, match="hits='many', not an integer"):
        CoverageParser().parse(doc, "cobertura-xml", ParseContext())


def test_coveragepy_json_without_file_summaries_is_an_evidence_error() -> None:
    raw = json.dumps({"meta": {"format": 3, "version": "7"}, "files": {"a/b.py": {}}})
    doc = Document(raw.encode(), "coverage.json")
    with pytest.raises(EvidenceError, match=r"coverage\.json: /files/a~1b\.py has no summary"):
        parse_doc(doc)


def test_junit_and_other_json_are_not_taken_for_coverage() -> None:
    parser = CoverageParser()
    assert parser.detect(Document(b'{"meta": {}, "files": []}', "x.json")) is None
    assert parser.detect(Document(b"<report><title/></report>", "report.xml")) is None
