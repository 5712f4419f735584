package gatecheck.controls.ver_002_test

import rego.v1

import data.gatecheck.controls.ver_002
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release, items) := {
	"stage": "post-deploy",
	"release": facts.release[release],
	"evidence": {"deployment_metrics": [facts.deployment_metrics[m] | some m in items]},
}

test_latency_within_criteria_passes if {
	count(ver_002.deny) == 0 with input as run("release_major", ["metrics_ok"])
}

test_p95_above_criterion_fails if {
	some r in ver_002.deny with input as run("release_major", ["metrics_latency_spike"])
	contains(r.msg, "p95 latency 520 ms in 2026-03-01T12:05:00Z..2026-03-01T12:35:00Z is above the rollback criterion 450 ms")
}

test_p95_above_baseline_tolerance_fails if {
	some r in ver_002.deny with input as run("release_major", ["metrics_latency_above_baseline"])
	contains(r.msg, "above the baseline 224 ms + 10%")
}

test_no_latency_measured_fails if {
	denied := {r.msg | some r in ver_002.deny} with input as run("release_major", ["metrics_no_latency"])
	some msg in denied
	contains(msg, "report no p95 latency")
	some other in denied
	contains(other, "no p99 latency, but a p99 rollback criterion and baseline is set")
}

test_missing_metrics_fail if {
	some r in ver_002.deny with input as run("release_major", [])
	contains(r.msg, "no deployment metrics")
}

test_nothing_to_compare_with_fails if {
	some r in ver_002.deny with input as run("release_rollback_no_latency", ["metrics_no_baseline"])
	contains(r.msg, "latency cannot be judged")
}

test_enforced_only_after_deployment if {
	ver_002.info.stages == {"post-deploy": "fail"}
}
