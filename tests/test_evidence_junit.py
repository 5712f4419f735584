"""JUnit XML test results: real pytest output from the sample project, and the reports of
Surefire, jest-junit, go-junit-report and cargo-nextest from the corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sample_project.gate import evaluate, evidence_item
from sample_project.produce import SampleEvidence, produce

from gatecheck.errors import ConfigError, EvidenceError
from gatecheck.evidence import registry
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.testing.junit import MAX_FAILED_CASES, MAX_MESSAGE_CHARS, JUnitParser

DATA = Path(__file__).parent / "data" / "junit"


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleEvidence:
    return produce(tmp_path_factory.getbasetemp() / "sample-project")


def parse_doc(doc: Document, **ctx: Any) -> dict[str, Any]:
    parser, fmt = registry.detect(doc)
    assert (parser.family, fmt) == ("test-results", "junit-xml")
    return registry.parse(doc, parser.family, fmt, ParseContext(**ctx))


def parse_file(path: Path, **ctx: Any) -> dict[str, Any]:
    return parse_doc(Document.from_path(path), **ctx)


def parse_xml(text: str, name: str = "results.xml", **ctx: Any) -> dict[str, Any]:
    return parse_doc(Document(text.encode("utf-8"), name), **ctx)


# --- real pytest output ----------------------------------------------------------------


def test_passing_pytest_run_counts_tests_and_skips(sample: SampleEvidence) -> None:
    facts = parse_file(sample.junit_unit, labels={"kind": "unit"})
    assert facts["totals"] == {"tests": 5, "failures": 0, "errors": 0, "skipped": 1}
    assert facts["failed_cases"] == [] and facts["failed_case_count"] == 0
    assert facts["mismatches"] == []
    [suite] = facts["suites"]
    assert suite["name"] == "pytest" and suite["kind"] == "unit" and suite["time"] >= 0


def test_pytest_timestamp_is_normalized_to_utc(sample: SampleEvidence) -> None:
    facts = parse_file(sample.junit_unit)
    stamp = facts["timestamp"]
    assert stamp.endswith("Z")
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=30)


def test_broken_pytest_run_names_the_failure_and_the_error(sample: SampleEvidence) -> None:
    facts = parse_file(sample.junit_integration_broken)
    assert facts["totals"] == {"tests": 4, "failures": 1, "errors": 1, "skipped": 0}
    assert facts["failed_case_count"] == 2
    by_name = {case["name"]: case for case in facts["failed_cases"]}
    failure = by_name["test_basic_tier_pays_two_percent"]
    assert failure["kind"] == "failure"
    assert failure["classname"] == "checks.check_fees"
    assert "assert 20 == 21" in failure["message"]
    assert failure["pointer"] == "/testsuites/testsuite[1]/testcase[1]"
    error = by_name["test_fee_is_booked_with_the_transfer"]
    assert error["kind"] == "error"
    assert "ledger database unavailable" in error["message"]


def test_kind_comes_from_configured_patterns_on_the_file_name(sample: SampleEvidence) -> None:
    patterns = {"unit": ["junit-unit*.xml"], "integration": ["junit-integration*.xml"]}
    unit = parse_file(sample.junit_unit, config={"junit_kind_patterns": patterns})
    integration = parse_file(sample.junit_integration, config={"junit_kind_patterns": patterns})
    assert (unit["kind"], unit["kinds"]) == ("unit", ["unit"])
    assert (integration["kind"], integration["kinds"]) == ("integration", ["integration"])


def test_kind_label_wins_over_patterns(sample: SampleEvidence) -> None:
    facts = parse_file(
        sample.junit_unit,
        labels={"kind": "smoke"},
        config={"junit_kind_patterns": {"unit": ["*"]}},
    )
    assert facts["kind"] == "smoke" and facts["kinds"] == ["smoke"]


def test_kind_is_null_without_label_or_matching_pattern(sample: SampleEvidence) -> None:
    facts = parse_file(sample.junit_unit, config={"junit_kind_patterns": {"e2e": ["e2e-*"]}})
    assert facts["kind"] is None and facts["kinds"] == []
    assert facts["suites"][0]["kind"] is None


def test_kind_patterns_match_suite_names() -> None:
    facts = parse_file(
        DATA / "go-junit-report-5-tests-1-failure-2-skipped.xml",
        config={"junit_kind_patterns": {"integration": ["package/fail"], "unit": ["package/*"]}},
    )
    assert [s["kind"] for s in facts["suites"]] == ["unit", "integration", "unit"]
    assert facts["kinds"] == ["integration", "unit"]


def test_malformed_kind_patterns_are_a_config_error(sample: SampleEvidence) -> None:
    with pytest.raises(ConfigError, match="junit_kind_patterns"):
        parse_file(sample.junit_unit, config={"junit_kind_patterns": {"unit": "*unit*"}})


def test_real_passing_runs_pass_the_gate_and_the_broken_run_fails_it(
    sample: SampleEvidence,
) -> None:
    unit = evidence_item(
        parse_file(sample.junit_unit, labels={"kind": "unit"}), "junit-unit.xml", "junit-xml"
    )
    integration, broken = (
        evidence_item(
            parse_file(path, labels={"kind": "integration"}),
            path.name,
            "junit-xml",
            kind="integration",
        )
        for path in (sample.junit_integration, sample.junit_integration_broken)
    )
    assert evaluate("tst_001", {"test_results": [unit, integration]})["deny"] == []
    [result] = evaluate("tst_001", {"test_results": [unit, broken]})["deny"]
    assert result["control"] == "GC-TST-001"
    assert result["msg"].startswith("2 of 4 test(s) in junit-integration-broken.xml failed")
    assert "checks.check_fees.test_basic_tier_pays_two_percent (failure)" in result["msg"]
    assert "checks.check_fees.test_fee_is_booked_with_the_transfer (error)" in result["msg"]
    [missing] = evaluate("tst_001", {"test_results": [unit]})["deny"]
    assert missing["msg"].startswith("no integration test results")


# --- corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "totals"),
    [
        ("surefire-9-tests-2-failures-5-errors.xml", (9, 2, 5, 0)),
        ("surefire-5-tests-2-failures-1-skipped.xml", (5, 2, 0, 1)),
        ("jest-junit-2-passed.xml", (2, 0, 0, 0)),
        ("go-junit-report-5-tests-1-failure-2-skipped.xml", (5, 1, 0, 2)),
        ("cargo-nextest-3-tests-1-failure.xml", (3, 1, 0, 0)),
        ("pytest-5-tests-1-failure-1-skipped.xml", (5, 1, 0, 1)),
        ("pytest-97-tests-17-skipped-singleline.xml", (97, 0, 0, 17)),
    ],
)
def test_corpus_reports_are_counted_from_their_cases(name: str, totals: tuple[int, ...]) -> None:
    facts = parse_file(DATA / name)
    assert tuple(facts["totals"].values()) == totals
    assert facts["failed_case_count"] == totals[1] + totals[2]
    assert facts["mismatches"] == []


def test_surefire_messages_keep_non_ascii_text() -> None:
    facts = parse_file(DATA / "surefire-9-tests-2-failures-5-errors.xml")
    first = facts["failed_cases"][0]
    assert first["kind"] == "error"
    assert first["message"] == "Invalid email address 'user@ñandú.com.ar'"
    assert first["pointer"] == "/testsuite/testcase[1]"
    assert facts["suites"][0]["pointer"] == "/testsuite"


def test_go_junit_report_lists_every_package_suite() -> None:
    facts = parse_file(DATA / "go-junit-report-5-tests-1-failure-2-skipped.xml")
    assert [(s["name"], s["tests"], s["failures"], s["skipped"]) for s in facts["suites"]] == [
        ("package/pass", 2, 0, 0),
        ("package/fail", 1, 1, 0),
        ("package/skip", 2, 0, 2),
    ]
    assert facts["failed_cases"][0]["suite"] == "package/fail"
    assert facts["timestamp"] == "2022-01-01T00:00:00Z"


def test_nextest_time_comes_from_the_run_with_its_offset() -> None:
    facts = parse_file(DATA / "cargo-nextest-3-tests-1-failure.xml")
    assert facts["timestamp"] == "2024-12-02T20:06:10.512000Z"
    assert "panicked at tests/parry3d.rs:154:5" in facts["failed_cases"][0]["message"]


def test_naive_timestamps_are_read_as_utc() -> None:
    facts = parse_file(DATA / "pytest-5-tests-1-failure-1-skipped.xml")
    assert facts["timestamp"] == "2020-09-04T16:18:04.966371Z"
    jest = parse_file(DATA / "jest-junit-2-passed.xml")
    assert jest["timestamp"] == "2022-12-29T15:34:28Z"


def test_report_without_timestamps_has_null_time() -> None:
    assert parse_file(DATA / "surefire-5-tests-2-failures-1-skipped.xml")["timestamp"] is None


def test_producing_tool_is_recognized() -> None:
    parser = JUnitParser()
    tools = {
        name: parser.tool(Document.from_path(DATA / name), "junit-xml")
        for name in (
            "pytest-5-tests-1-failure-1-skipped.xml",
            "surefire-9-tests-2-failures-5-errors.xml",
            "cargo-nextest-3-tests-1-failure.xml",
            "jest-junit-2-passed.xml",
        )
    }
    assert [t.name if t else None for t in tools.values()] == [
        "pytest",
        "maven-surefire",
        "cargo-nextest",
        "jest-junit",
    ]


# --- what the file claims versus what it contains ---------------------------------------


def test_summary_attributes_that_hide_a_failure_are_recorded_as_mismatch() -> None:
    facts = parse_xml(
        """<testsuites tests="2" failures="0">
        <testsuite name="api" tests="2" failures="0" errors="0">
          <testcase name="ok"/>
          <testcase name="broken"><failure message="boom"/></testcase>
        </testsuite></testsuites>"""
    )
    assert facts["totals"] == {"tests": 2, "failures": 1, "errors": 0, "skipped": 0}
    assert {
        "pointer": "/testsuites/testsuite[1]",
        "attribute": "failures",
        "declared": 0,
        "counted": 1,
    } in facts["mismatches"]
    assert {m["pointer"] for m in facts["mismatches"]} == {
        "/testsuites",
        "/testsuites/testsuite[1]",
    }


def test_summary_only_suite_is_counted_from_its_attributes() -> None:
    facts = parse_xml('<testsuite name="legacy" tests="4" failures="1" errors="0" skipped="1"/>')
    assert facts["totals"] == {"tests": 4, "failures": 1, "errors": 0, "skipped": 1}
    assert facts["suites"][0]["counted_from"] == "attributes"
    assert facts["failed_cases"] == []


def test_summary_only_suite_with_unreadable_counts_is_refused() -> None:
    with pytest.raises(EvidenceError, match=r"results\.xml: /testsuite has tests='many'"):
        parse_xml('<testsuite name="legacy" tests="many"/>')


def test_empty_testsuites_has_zero_tests() -> None:
    facts = parse_xml("<testsuites/>")
    assert facts["totals"] == {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    assert facts["suites"] == []


def test_nested_suites_are_each_counted_once() -> None:
    facts = parse_xml(
        """<testsuites><testsuite name="outer">
             <testsuite name="inner-a"><testcase name="a1"/><testcase name="a2"/></testsuite>
             <testsuite name="inner-b"><testcase name="b1"><error/></testcase></testsuite>
           </testsuite></testsuites>"""
    )
    assert facts["totals"] == {"tests": 3, "failures": 0, "errors": 1, "skipped": 0}
    assert [s["name"] for s in facts["suites"]] == ["inner-a", "inner-b"]
    assert facts["failed_cases"][0]["pointer"] == (
        "/testsuites/testsuite[1]/testsuite[2]/testcase[1]"
    )


def test_failed_cases_are_capped_but_counted() -> None:
    cases = "".join(
        f'<testcase name="t{i}"><failure message="m{i}"/></testcase>' for i in range(250)
    )
    facts = parse_xml(f'<testsuite name="big">{cases}</testsuite>')
    assert facts["totals"]["failures"] == 250
    assert facts["failed_case_count"] == 250
    assert len(facts["failed_cases"]) == MAX_FAILED_CASES


def test_failure_messages_are_cut_to_500_characters() -> None:
    facts = parse_xml(
        f'<testsuite><testcase name="t"><failure>{"x" * 5000}</failure></testcase></testsuite>'
    )
    assert len(facts["failed_cases"][0]["message"]) == MAX_MESSAGE_CHARS == 500


def test_error_outranks_failure_in_one_case() -> None:
    facts = parse_xml(
        '<testsuite><testcase name="t"><failure message="f"/><error message="e"/></testcase></testsuite>'
    )
    assert facts["totals"]["errors"] == 1 and facts["totals"]["failures"] == 0
    assert facts["failed_cases"][0]["message"] == "e"


def test_external_dtd_reference_is_not_fetched() -> None:
    facts = parse_xml(
        '<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/junit.dtd">'
        '<testsuite name="s"><testcase name="t"/></testsuite>'
    )
    assert facts["totals"]["tests"] == 1


# --- unreadable files ------------------------------------------------------------------


def test_truncated_report_is_an_evidence_error() -> None:
    doc = Document.from_path(DATA / "pytest-truncated-corrupt.xml")
    with pytest.raises(EvidenceError, match=r"^pytest-truncated-corrupt\.xml: not well-formed XML"):
        registry.detect(doc)
    with pytest.raises(EvidenceError, match="not well-formed XML"):
        JUnitParser().parse(doc, "junit-xml", ParseContext())


def test_billion_laughs_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<testsuite name="&lol1;"><testcase name="t"/></testsuite>'
    )
    with pytest.raises(EvidenceError, match="unsafe XML refused"):
        JUnitParser().parse(Document(bomb.encode(), "bomb.xml"), "junit-xml", ParseContext())


def test_wrong_root_is_an_evidence_error() -> None:
    doc = Document(b'<coverage line-rate="1"/>', "coverage.xml")
    assert JUnitParser().detect(doc) is None
    with pytest.raises(
        EvidenceError, match=r"coverage\.xml: not JUnit XML \(root element <coverage>"
    ):
        JUnitParser().parse(doc, "junit-xml", ParseContext())
