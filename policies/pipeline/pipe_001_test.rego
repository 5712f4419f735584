package gatecheck.controls.pipe_001_test

import rego.v1

import data.gatecheck.controls.pipe_001

suite(kind, tests, failures, errors, skipped) := {
	"name": "smoke",
	"kind": kind,
	"tests": tests,
	"failures": failures,
	"errors": errors,
	"skipped": skipped,
	"pointer": "/testsuites/testsuite[1]",
}

junit(suites, labels) := {
	"kind": "smoke",
	"suites": suites,
	"labels": labels,
	"source": {"path": "evidence/smoke.xml", "name": "smoke.xml"},
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
