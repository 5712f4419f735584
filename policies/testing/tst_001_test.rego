package gatecheck.controls.tst_001_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.tst_001

api := {"name": "payments-api", "version": "1.4.0", "digest": "sha256:aa"}

suite(name, kind, tests, failures, errors, skipped) := {
	"name": name, "kind": kind, "tests": tests, "failures": failures, "errors": errors,
	"skipped": skipped, "time": 1.5, "timestamp": "2026-01-30T10:00:00Z",
	"counted_from": "testcases", "pointer": "/testsuites/testsuite[1]",
}

failed_case(name, kind) := {
	"suite": "pytest", "name": name, "classname": "tests.test_api", "kind": kind,
	"message": "assert 1 == 2", "pointer": sprintf("/testsuites/testsuite[1]/testcase[%s]", [name]),
}

# A normalized JUnit report as the parser produces it, with the framework's source around it.
report(file, suites, failed) := {
	"kind": null,
	"kinds": sort({s.kind | some s in suites; s.kind != null}),
	"totals": {
		"tests": sum([s.tests | some s in suites]),
		"failures": sum([s.failures | some s in suites]),
		"errors": sum([s.errors | some s in suites]),
		"skipped": sum([s.skipped | some s in suites]),
	},
	"suites": suites,
	"failed_cases": failed,
	"failed_case_count": count(failed),
	"mismatches": [],
	"timestamp": "2026-01-30T10:00:00Z",
	"source": {
		"path": sprintf("evidence/test-results/%s", [file]), "name": file,
		"format": "junit-xml", "sha256": "bb", "added_at": "2026-01-30T11:00:00Z",
	},
	"tool": {"name": "pytest", "version": null},
	"labels": {},
}

unit := report("junit-unit.xml", [suite("pytest", "unit", 40, 0, 0, 2)], [])

integration := report("junit-integration.xml", [suite("pytest", "integration", 12, 0, 0, 0)], [])

release_input(stage, artifacts, results) := {
	"stage": stage,
	"effective_time": "2026-01-31T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0", "artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts],
		"source": {"path": "evidence/release.json"},
	}),
	"evidence": {"test_results": results},
}

prod(results) := release_input("production", [api], results)

test_passing_unit_and_integration_suites_pass if {
	count(tst_001.deny) == 0 with input as prod([unit, integration])
	count(tst_001.warn) == 0 with input as prod([unit, integration])
	count(tst_001.not_applicable) == 0 with input as prod([unit, integration])
}

test_both_kinds_in_one_report_pass if {
	both := report("junit.xml", [suite("unit-suite", "unit", 3, 0, 0, 0), suite("it-suite", "integration", 2, 0, 0, 0)], [])
	count(tst_001.deny) == 0 with input as prod([both])
}

test_missing_test_results_fail if {
	some r in tst_001.deny with input as prod([])
	r.control == "GC-TST-001"
	contains(r.msg, "no test results")
	r.evidence == [{"path": "evidence/release.json", "pointer": "/artifacts"}]
}

test_missing_required_kind_fails if {
	denies := tst_001.deny with input as prod([unit])
	count(denies) == 1
	some r in denies
	contains(r.msg, "no integration test results")
	contains(r.msg, "kind=integration")
}

test_unlabelled_results_fail_for_every_required_kind if {
	plain := report("junit.xml", [suite("pytest", null, 10, 0, 0, 0)], [])
	denies := tst_001.deny with input as prod([plain])
	{r.msg | some r in denies; contains(r.msg, "test results: no suite")} == {
		`no integration test results: no suite in the bundle has kind "integration" (kinds found: set()); label the JUnit file with kind=integration or set junit_kind_patterns`,
		`no unit test results: no suite in the bundle has kind "unit" (kinds found: set()); label the JUnit file with kind=unit or set junit_kind_patterns`,
	}
}

test_failures_and_errors_fail_naming_the_cases if {
	broken := report(
		"junit-integration.xml",
		[suite("pytest", "integration", 4, 1, 1, 0)],
		[failed_case("test_fee", "failure"), failed_case("test_booking", "error")],
	)
	some r in tst_001.deny with input as prod([unit, broken])
	r.msg == "2 of 4 test(s) in junit-integration.xml failed or errored: tests.test_api.test_fee (failure), tests.test_api.test_booking (error)"
	r.evidence == [
		{"path": "evidence/test-results/junit-integration.xml", "pointer": "/testsuites/testsuite[1]/testcase[test_fee]"},
		{"path": "evidence/test-results/junit-integration.xml", "pointer": "/testsuites/testsuite[1]/testcase[test_booking]"},
	]
}

test_many_failures_are_summarized if {
	cases := [failed_case(sprintf("t%d", [i]), "failure") | some i in numbers.range(1, 12)]
	many := object.union(
		report("junit-unit.xml", [suite("pytest", "unit", 300, 250, 0, 0)], cases),
		{"failed_case_count": 250},
	)
	some r in tst_001.deny with input as prod([many, integration])
	endswith(r.msg, "tests.test_api.t10 (failure) and 240 more")
	count(r.evidence) == 10
}

test_case_without_classname_is_named_by_suite if {
	case := object.union(failed_case("TestOne", "failure"), {"classname": null, "suite": "package/fail"})
	broken := report("go.xml", [suite("package/fail", "unit", 1, 1, 0, 0)], [case])
	some r in tst_001.deny with input as prod([broken, integration])
	contains(r.msg, "package/fail / TestOne (failure)")
}

test_only_skipped_tests_of_a_kind_fail if {
	skipped := report("junit-integration.xml", [suite("pytest", "integration", 3, 0, 0, 3)], [])
	some r in tst_001.deny with input as prod([unit, skipped])
	r.msg == "only 0 integration test(s) ran (skipped tests do not count); at least 1 required"
}

test_min_tests_comes_from_the_stage_profile if {
	denies := tst_001.deny with input as prod([unit, integration])
		with data.gatecheck.config.stages.production.params.min_tests as 20
	{r.msg | some r in denies} == {"only 12 integration test(s) ran (skipped tests do not count); at least 20 required"}
}

test_empty_report_fails_when_nothing_is_required_but_results_exist if {
	empty := report("junit.xml", [], [])
	some r in tst_001.deny with input as prod([empty])
		with data.gatecheck.config.params.required_test_kinds as []
	r.msg == "only 0 test(s) ran in total (skipped tests do not count); at least 1 required"
}

test_summary_claiming_failures_the_cases_lack_fails if {
	edited := object.union(unit, {"mismatches": [{"pointer": "/testsuites/testsuite[1]", "attribute": "failures", "declared": 3, "counted": 0}]})
	some r in tst_001.deny with input as prod([edited, integration])
	r.msg == "junit-unit.xml declares 3 failures at /testsuites/testsuite[1] but its test cases show 0"
}

test_summary_overstating_tests_only_warns if {
	edited := object.union(unit, {"mismatches": [{"pointer": "/testsuites", "attribute": "tests", "declared": 45, "counted": 40}]})
	count(tst_001.deny) == 0 with input as prod([edited, integration])
	some r in tst_001.warn with input as prod([edited, integration])
	contains(r.msg, "declares tests=45 at /testsuites but its test cases count 40")
}

test_release_without_artifacts_is_not_applicable if {
	rin := release_input("production", [], [])
	count(tst_001.deny) == 0 with input as rin
	some reason in tst_001.not_applicable with input as rin
	contains(reason, "lists no artifacts")
}

test_results_are_judged_even_without_artifacts if {
	broken := report("junit-unit.xml", [suite("pytest", "unit", 1, 1, 0, 0)], [failed_case("t", "failure")])
	rin := release_input("production", [], [broken, integration])
	count(tst_001.not_applicable) == 0 with input as rin
	some r in tst_001.deny with input as rin
	contains(r.msg, "1 of 1 test(s) in junit-unit.xml failed")
}

test_stage_requiring_nothing_is_not_applicable if {
	na := tst_001.not_applicable with input as prod([])
		with data.gatecheck.config.params.required_test_kinds as []
		with data.gatecheck.config.params.min_tests as 0
	some reason in na
	contains(reason, "no test suite is required")
	count(tst_001.deny) == 0 with input as prod([])
		with data.gatecheck.config.params.required_test_kinds as []
		with data.gatecheck.config.params.min_tests as 0
}

test_info_declares_control_and_stage_defaults if {
	tst_001.info.id == "GC-TST-001"
	tst_001.info.stages == {"production": "fail", "staging": "fail", "dev": "warn"}
	tst_001.info.params == ["required_test_kinds", "min_tests"]
}
