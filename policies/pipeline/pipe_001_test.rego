package gatecheck.controls.pipe_001_test

import rego.v1

import data.gatecheck.controls.pipe_001

import data.gatecheck.test_facts as facts

suite(kind, tests, failures, errors, skipped) := object.union(facts.empty.test_suite, {
	"name": "smoke",
	"kind": kind,
	"tests": tests,
	"failures": failures,
	"errors": errors,
	"skipped": skipped,
	"counted_from": "testcases",
	"pointer": "/testsuites/testsuite[1]",
})

# The case at position n of `suite`, which failed (outcome failure) or errored, as
# evidence/testing/junit.py lists it.
failed_case(suite, outcome, n) := object.union(facts.empty.failed_case, {
	"suite": suite.name, "name": sprintf("test_%d", [n]), "kind": outcome,
	"message": "assert False", "pointer": sprintf("%s/testcase[%d]", [suite.pointer, n]),
})

# JUnit facts of `suites`, added with `labels` (a `kind` label is every suite's kind).
junit(suites, labels) := object.union(facts.empty.test_results, {
	"kind": object.get(labels, "kind", null),
	"kinds": sort({s.kind | some s in suites; s.kind != null}),
	"totals": {key: sum([s[key] | some s in suites]) | some key in ["tests", "failures", "errors", "skipped"]},
	"suites": suites,
	"failed_cases": cases,
	"failed_case_count": count(cases),
	"labels": labels,
	"source": {
		"path": "evidence/smoke.xml", "name": "smoke.xml", "format": "junit-xml",
		"sha256": "0000000000000000000000000000000000000000000000000000000000000000",
		"added_at": "2026-03-01T11:00:00Z",
	},
}) if {
	# The failures first, then the errors.
	cases := [c |
		some s in suites
		some [outcome, first, last] in [["failure", 1, s.failures], ["error", s.failures + 1, s.failures + s.errors]]
		first <= last
		some n in numbers.range(first, last)
		c := failed_case(s, outcome, n)
	]
}

run(stage, results) := {
	"stage": stage,
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": {"name": "payments", "version": "2.4.0", "source": {"path": "evidence/r.json"}},
	"evidence": {"test_results": results},
}

test_passing_smoke_from_staging_passes if {
	inp := run("production", [junit([suite("smoke", 5, 0, 0, 0)], {"kind": "smoke", "stage": "staging"})])
	count(pipe_001.deny) == 0 with input as inp
	count(pipe_001.warn) == 0 with input as inp
}

test_unlabelled_smoke_counts_with_a_warning if {
	inp := run("production", [junit([suite("smoke", 5, 0, 0, 0)], {"kind": "smoke"})])
	count(pipe_001.deny) == 0 with input as inp
	some w in pipe_001.warn with input as inp
	contains(w.msg, "label it stage=staging")
}

test_missing_smoke_results_fail if {
	unit := junit([suite("unit", 50, 0, 0, 0)], {"kind": "unit"})
	some r in pipe_001.deny with input as run("production", [unit])
	contains(r.msg, "no smoke test results from the previous stage staging")
}

test_smoke_from_another_stage_does_not_count if {
	inp := run("production", [junit([suite("smoke", 5, 0, 0, 0)], {"kind": "smoke", "stage": "dev"})])
	some r in pipe_001.deny with input as inp
	contains(r.msg, "(smoke results found for: dev)")
}

test_smoke_failure_fails if {
	inp := run("production", [junit([suite("smoke", 5, 1, 1, 0)], {"kind": "smoke", "environment": "staging"})])
	some r in pipe_001.deny with input as inp
	contains(r.msg, "2 cases of the smoke tests in smoke.xml failed or errored")
	r.evidence[0].pointer == "/testsuites/testsuite[1]"
}

test_all_skipped_smoke_suite_fails if {
	inp := run("production", [junit([suite("smoke", 3, 0, 0, 3)], {"kind": "smoke", "stage": "staging"})])
	some r in pipe_001.deny with input as inp
	contains(r.msg, "ran no test")
}

test_dev_has_no_previous_stage if {
	count(pipe_001.not_applicable) == 1 with input as run("dev", [])
	count(pipe_001.deny) == 0 with input as run("dev", [])
}

test_info_declares_control if {
	pipe_001.info.id == "GC-PIPE-001"
	pipe_001.info.stages.production == "fail"
	pipe_001.info.stages.staging == "warn"
}
