package gatecheck.controls.ver_002_test

import rego.v1

import data.gatecheck.controls.ver_002

metrics(overrides) := object.union(
	{
		"service": "payments-api",
		"release": null,
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

test_latency_within_criteria_passes if {
	count(ver_002.deny) == 0 with input as run(criteria, [metrics({})])
}

test_p95_above_criterion_fails if {
	some r in ver_002.deny with input as run(criteria, [metrics({"latency_p95_ms": 260.0, "baseline": null})])
	contains(r.msg, "p95 latency 260 ms")
	contains(r.msg, "above the rollback criterion 250 ms")
}

test_p99_above_criterion_fails if {
	some r in ver_002.deny with input as run(criteria, [metrics({"latency_p99_ms": 501.0, "baseline": null})])
	contains(r.msg, "p99 latency 501 ms")
	r.evidence[1].pointer == "/rollback/latency_p99_ms"
}

test_p95_above_baseline_tolerance_fails if {
	some r in ver_002.deny with input as run(null, [metrics({"latency_p95_ms": 200.0})])
	contains(r.msg, "above the baseline 175 ms + 10% (limit 192.5 ms)")
}

test_missing_p95_fails if {
	some r in ver_002.deny with input as run(criteria, [metrics({"latency_p95_ms": null})])
	contains(r.msg, "report no p95 latency")
}

test_missing_p99_with_p99_criterion_fails if {
	some r in ver_002.deny with input as run(criteria, [metrics({"latency_p99_ms": null, "baseline": null})])
	contains(r.msg, "no p99 latency, but a p99 rollback criterion is set")
}

test_missing_metrics_fail if {
	some r in ver_002.deny with input as run(criteria, [])
	contains(r.msg, "no deployment metrics")
}

test_nothing_to_compare_with_fails if {
	some r in ver_002.deny with input as run({"error_rate": 0.01}, [metrics({"baseline": null})])
	contains(r.msg, "latency cannot be judged")
}
