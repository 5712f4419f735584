# METADATA
# title: Required test suites passed
# description: >-
#   The release's test results (JUnit XML) include every required suite kind
#   (`required_test_kinds`, default unit and integration), each with at least `min_tests`
#   executed (not skipped) tests, and no test failed or errored. Counts come from the
#   report's test cases, not from its summary attributes; a report whose summary claims
#   more failures or errors than its cases show fails too. A suite's kind is the `kind`
#   label given when the file was added to the bundle, else `junit_kind_patterns` in the
#   configuration. A release that lists no artifacts has nothing built to test, so the
#   control is not applicable unless test results are present anyway; such a release fails
#   GC-ART-001.
# custom:
#   id: GC-TST-001
#   severity: high
#   remediation: >-
#     Fix or quarantine the failing tests and re-run the pipeline; add each suite's JUnit XML
#     with its kind, e.g. `gatecheck bundle add --type test-results --label kind=unit
#     junit.xml`, or map suite and file names to kinds with `junit_kind_patterns`.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29, A.8.32]
#     nist-800-53: [SA-11, CM-3, CM-4]
#   evidence: [test-results, release-manifest]
#   params: [required_test_kinds, min_tests]
#   stages:
#     production: fail
#     staging: fail
#     dev: warn
package gatecheck.controls.tst_001

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

results := lib.evidence("test_results")

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

# -- applicability --------------------------------------------------------------------------

nothing_required if {
	count(lib.param("required_test_kinds")) == 0
	lib.param("min_tests") <= 0
}

not_applicable contains "the release lists no artifacts and the bundle has no test results, so there is nothing built to test (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
	count(results) == 0
}

not_applicable contains "no test suite is required at this stage (required_test_kinds is empty and min_tests is 0) and the bundle has no test results" if {
	nothing_required
	count(results) == 0
}

# -- counting -------------------------------------------------------------------------------

report_name(item) := object.get(object.get(item, "source", {}), "name", "test results")

executed(suite) := suite.tests - suite.skipped

executed_of_kind(kind) := sum([executed(suite) |
	some item in results
	some suite in item.suites
	suite.kind == kind
])

kind_present(kind) if {
	some item in results
	some suite in item.suites
	suite.kind == kind
}

total_executed := sum([executed(suite) | some item in results; some suite in item.suites])

case_label(case) := sprintf("%s.%s", [case.classname, case.name]) if {
	is_string(case.classname)
} else := sprintf("%v / %v", [case.suite, case.name])

more_suffix(n) := sprintf(" and %d more", [n]) if {
	n > 0
} else := ""

# -- violations -----------------------------------------------------------------------------

deny contains result if {
	count(results) == 0
	count(artifacts) > 0
	not nothing_required
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the bundle has no test results (JUnit XML); required suite kinds: %v", [lib.param("required_test_kinds")]),
		[lib.release_ref("/artifacts")],
	)
}

deny contains result if {
	count(results) > 0
	some kind in lib.param("required_test_kinds")
	not kind_present(kind)
	kinds := {k | some item in results; some k in item.kinds}
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no %s test results: no suite in the bundle has kind %q (kinds found: %v); label the JUnit file with kind=%s or set junit_kind_patterns", [kind, kind, kinds, kind]),
		[lib.ref(item) | some item in results],
	)
}

deny contains result if {
	some kind in lib.param("required_test_kinds")
	kind_present(kind)
	ran := executed_of_kind(kind)
	ran < lib.param("min_tests")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("only %d %s test(s) ran (skipped tests do not count); at least %d required", [ran, kind, lib.param("min_tests")]),
		[lib.ref(item) | some item in results; some suite in item.suites; suite.kind == kind],
	)
}

deny contains result if {
	count(results) > 0
	total_executed < lib.param("min_tests")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("only %d test(s) ran in total (skipped tests do not count); at least %d required", [total_executed, lib.param("min_tests")]),
		[lib.ref(item) | some item in results],
	)
}

deny contains result if {
	some item in results
	failed := item.totals.failures + item.totals.errors
	failed > 0
	shown := array.slice(item.failed_cases, 0, 10)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%d of %d test(s) in %s failed or errored: %s%s", [
			failed, item.totals.tests, report_name(item),
			concat(", ", [sprintf("%s (%s)", [case_label(case), case.kind]) | some case in shown]),
			more_suffix(item.failed_case_count - count(shown)),
		]),
		[lib.ref_at(item, case.pointer) | some case in shown],
	)
}

# A summary that reports failures its test cases do not show: something was edited or lost.
deny contains result if {
	some item in results
	some m in object.get(item, "mismatches", [])
	understated_failure(m)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s declares %v %s at %s but its test cases show %d", [report_name(item), m.declared, m.attribute, m.pointer, m.counted]),
		[lib.ref_at(item, m.pointer)],
	)
}

warn contains result if {
	some item in results
	some m in object.get(item, "mismatches", [])
	not understated_failure(m)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s declares %s=%v at %s but its test cases count %d; the cases were used", [report_name(item), m.attribute, m.declared, m.pointer, m.counted]),
		[lib.ref_at(item, m.pointer)],
	)
}

understated_failure(m) if {
	m.attribute in {"failures", "errors"}
	is_number(m.declared)
	m.declared > m.counted
}
