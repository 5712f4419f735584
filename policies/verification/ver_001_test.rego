package gatecheck.controls.ver_001_test

import rego.v1

import data.gatecheck.controls.ver_001

metrics(overrides) := object.union(
	{
		"service": "payments-api",
		"release": {"name": "payments", "version": "2.4.0"},
		"window": {"start": "2026-03-01T12:00:00Z", "end": "2026-03-01T12:30:00Z"},
		"error_rate": 0.004,
		"latency_p95_ms": 180.0,
		"latency_p99_ms": 320.0,
		"baseline": {"error_rate": 0.003, "latency_p95_ms": 175.0, "latency_p99_ms": 310.0, "window": null},
		"pointer": "",
		"source": {"path": "evidence/metrics.json"},
	},
	overrides,
)

run(rollback, items) := {
	"stage": "post-deploy",
	"release": {
		"name": "payments",
		"version": "2.4.0",
		"service": {"name": "payments-api"},
		"rollback": rollback,
		"source": {"path": "evidence/r.json"},
	},
	"evidence": {"deployment_metrics": items},
}

criteria := {"error_rate": 0.01, "latency_p95_ms": 250, "latency_p99_ms": 500}

test_error_rate_within_criteria_passes if {
	count(ver_001.deny) == 0 with input as run(criteria, [metrics({})])
}

test_error_rate_above_criterion_fails if {
	some r in ver_001.deny with input as run(criteria, [metrics({"error_rate": 0.05, "baseline": null})])
	contains(r.msg, "error rate 0.05 in 2026-03-01T12:00:00Z..2026-03-01T12:30:00Z is above the rollback criterion 0.01")
	r.evidence[1].pointer == "/rollback/error_rate"
}

test_error_rate_above_baseline_fails if {
	some r in ver_001.deny with input as run(null, [metrics({"error_rate": 0.0135})])
	contains(r.msg, "above the baseline 0.003 + 0.01")
	r.evidence[1].pointer == "/baseline/error_rate"
}

test_missing_metrics_fail if {
	some r in ver_001.deny with input as run(criteria, [])
	contains(r.msg, "no deployment metrics for service payments-api")
}

test_metrics_of_other_service_do_not_count if {
	some r in ver_001.deny with input as run(criteria, [metrics({"service": "reports"})])
	contains(r.msg, "no deployment metrics")
}

test_metrics_of_other_release_do_not_count if {
	some r in ver_001.deny with input as run(criteria, [metrics({"release": {"name": "payments", "version": "2.3.9"}})])
	contains(r.msg, "no deployment metrics")
}

test_missing_error_rate_fails if {
	some r in ver_001.deny with input as run(criteria, [metrics({"error_rate": null})])
	contains(r.msg, "report no error rate")
}

test_nothing_to_compare_with_fails if {
	some r in ver_001.deny with input as run(null, [metrics({"baseline": null})])
	contains(r.msg, "cannot be judged")
}

test_enforced_only_after_deployment if {
	ver_001.info.stages == {"post-deploy": "fail"}
}
