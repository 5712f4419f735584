package gatecheck.controls.tst_003_refs_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.tst_003

# A k6 summary as the parser gives it: no pointer for a metric k6 did not export.
k6(role, p95, rate, p95_pointer) := object.union(facts.empty.performance_summary, {
	"role": role,
	"latency_p95_ms": p95,
	"latency_p99_ms": null,
	"error_rate": rate,
	"baseline": null,
	"thresholds_failed": [],
	"pointers": {"latency_p95_ms": p95_pointer, "latency_p99_ms": null, "error_rate": "/metrics/http_req_failed/value"},
	"pointer": "/metrics",
	"source": {"path": sprintf("evidence/k6-%s.json", [role]), "name": sprintf("k6-%s.json", [role])},
})

run(summaries) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "class": "major", "source": {"path": "evidence/r.json"}}),
	"evidence": {"performance_summary": summaries},
}

test_a_metric_without_a_pointer_cites_the_whole_summary if {
	summaries := [k6("current", 300.0, 0.001, null), k6("baseline", 200.0, 0.001, "/metrics/http_req_duration/p(95)")]
	some r in tst_003.deny with input as run(summaries)
	contains(r.msg, "p95 latency 300 ms in k6-current.json is above the baseline 200 ms")
	r.evidence[0] == {"path": "evidence/k6-current.json", "pointer": "/metrics"}
}

test_a_baseline_missing_a_metric_fails if {
	summaries := [k6("current", 200.0, 0.001, "/p95"), k6("baseline", 200.0, null, "/p95")]
	some r in tst_003.deny with input as run(summaries)
	r.msg == "the baseline of k6-current.json has no error_rate"
	r.evidence == [{"path": "evidence/k6-baseline.json", "pointer": "/metrics"}]
}
