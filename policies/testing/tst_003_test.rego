package gatecheck.controls.tst_003_test

import rego.v1

import data.gatecheck.controls.tst_003

summary(overrides) := object.union(
	{
		"role": "current",
		"latency_p95_ms": 210.0,
		"latency_p99_ms": 380.0,
		"error_rate": 0.002,
		"baseline": {"latency_p95_ms": 200.0, "latency_p99_ms": 350.0, "error_rate": 0.001},
		"thresholds_failed": [],
		"pointers": {"latency_p95_ms": "/latency_p95_ms", "latency_p99_ms": "/latency_p99_ms", "error_rate": "/error_rate"},
		"pointer": "",
		"source": {"path": "evidence/perf.json", "name": "perf.json"},
	},
	overrides,
)

k6(role, p95, rate) := {
	"role": role,
	"latency_p95_ms": p95,
	"latency_p99_ms": null,
	"error_rate": rate,
	"baseline": null,
	"thresholds_failed": [],
	"pointers": {"latency_p95_ms": "/metrics/http_req_duration/p(95)", "latency_p99_ms": null, "error_rate": "/metrics/http_req_failed/value"},
	"pointer": "/metrics",
	"source": {"path": sprintf("evidence/k6-%s.json", [role]), "name": sprintf("k6-%s.json", [role])},
}

run(class, summaries) := {
	"stage": "production",
	"release": {"name": "payments", "version": "2.4.0", "class": class, "source": {"path": "evidence/r.json"}},
	"evidence": {"performance_summary": summaries},
}

test_within_tolerance_passes if {
	count(tst_003.deny) == 0 with input as run("major", [summary({})])
}

test_p95_regression_fails if {
	some r in tst_003.deny with input as run("major", [summary({"latency_p95_ms": 221.0})])
	contains(r.msg, "p95 latency 221 ms in perf.json is above the baseline 200 ms + 10% (limit 220 ms)")
	r.evidence[0].pointer == "/latency_p95_ms"
	r.evidence[1].pointer == "/baseline"
}

test_error_rate_regression_fails if {
	some r in tst_003.deny with input as run("standard", [summary({"error_rate": 0.02})])
	contains(r.msg, "error rate 0.02 in perf.json is above the baseline 0.001 + 0.01")
}

test_k6_run_compared_with_labelled_baseline if {
	ok := [k6("current", 205.5, 0.0), k6("baseline", 200.0, 0.0)]
	count(tst_003.deny) == 0 with input as run("major", ok)
	slow := [k6("current", 240.0, 0.0), k6("baseline", 200.0, 0.0)]
	some r in tst_003.deny with input as run("major", slow)
	r.evidence[0] == {"path": "evidence/k6-current.json", "pointer": "/metrics/http_req_duration/p(95)"}
	r.evidence[1].path == "evidence/k6-baseline.json"
}

test_missing_baseline_fails if {
	some r in tst_003.deny with input as run("major", [k6("current", 205.5, 0.0)])
	contains(r.msg, "no baseline to compare with")
}

test_missing_p95_fails if {
	some r in tst_003.deny with input as run("major", [summary({"latency_p95_ms": null})])
	contains(r.msg, "reports no latency_p95_ms")
}

test_major_release_without_summary_fails if {
	some r in tst_003.deny with input as run("major", [])
	r.msg == "major release without a performance test summary"
}

test_standard_release_without_summary_is_not_applicable if {
	count(tst_003.deny) == 0 with input as run("standard", [])
	count(tst_003.not_applicable) == 1 with input as run("standard", [])
}

test_crossed_k6_threshold_warns if {
	crossed := object.union(k6("current", 205.5, 0.0), {"thresholds_failed": [{"metric": "http_req_duration", "threshold": "p(99)<300", "pointer": "/metrics/http_req_duration/thresholds/p(99)<300"}]})
	inp := run("major", [crossed, k6("baseline", 200.0, 0.0)])
	count(tst_003.deny) == 0 with input as inp
	some w in tst_003.warn with input as inp
	contains(w.msg, `threshold "p(99)<300" on http_req_duration was crossed`)
}
