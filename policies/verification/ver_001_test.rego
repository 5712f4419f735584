package gatecheck.controls.ver_001_test

import rego.v1

import data.gatecheck.controls.ver_001
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release, items) := {
	"stage": "post-deploy",
	"release": facts.release[release],
	"evidence": {"deployment_metrics": [facts.deployment_metrics[m] | some m in items]},
}

window := "2026-03-01T12:05:00Z..2026-03-01T12:35:00Z"

test_error_rate_within_criteria_passes if {
	count(ver_001.deny) == 0 with input as run("release_major", ["metrics_ok"])
}

test_error_rate_above_criterion_fails if {
	some r in ver_001.deny with input as run("release_major", ["metrics_error_spike"])
	contains(r.msg, sprintf("error rate 0.031 in %s is above the rollback criterion 0.02", [window]))
	r.evidence[1].pointer == "/rollback/error_rate"
}

test_error_rate_above_baseline_fails if {
	some r in ver_001.deny with input as run("release_major", ["metrics_error_above_baseline"])
	contains(r.msg, "above the baseline 0.0039 + 0.01")
	r.evidence[1].pointer == "/baseline/error_rate"
}

test_missing_metrics_fail if {
	some r in ver_001.deny with input as run("release_major", [])
	contains(r.msg, "no deployment metrics for service payments-api")
}

test_metrics_of_other_service_do_not_count if {
	some r in ver_001.deny with input as run("release_major", ["metrics_other_service"])
	contains(r.msg, "no deployment metrics")
}

test_metrics_of_other_release_do_not_count if {
	some r in ver_001.deny with input as run("release_major", ["metrics_other_release"])
	contains(r.msg, "no deployment metrics")
}

test_missing_error_rate_fails if {
	some r in ver_001.deny with input as run("release_major", ["metrics_no_error_rate"])
	contains(r.msg, "report no error rate")
}

test_nothing_to_compare_with_fails if {
	some r in ver_001.deny with input as run("release_rollback_no_error_rate", ["metrics_no_baseline"])
	contains(r.msg, "cannot be judged")
}

test_enforced_only_after_deployment if {
	ver_001.info.stages == {"post-deploy": "fail"}
}
