package gatecheck.controls.tst_003_test

import rego.v1

import data.gatecheck.controls.tst_003
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release, summaries) := {
	"stage": "production",
	"release": facts.release[release],
	"evidence": {"performance_summary": [facts.performance_summary[s] | some s in summaries]},
}

messages(release, summaries) := {r.msg | some r in tst_003.deny with input as run(release, summaries)}

test_within_tolerance_passes if {
	count(messages("release_major", ["perf_ok"])) == 0
}

test_p95_regression_fails if {
	some r in tst_003.deny with input as run("release_major", ["perf_p95_regression"])
	contains(r.msg, "p95 latency 260 ms in perf_p95_regression.yaml is above the baseline 201.7 ms + 10% (limit 221.87 ms)")
	r.evidence[0].pointer == "/latency_p95_ms"
	r.evidence[1].pointer == "/baseline"
}

test_error_rate_regression_fails if {
	some msg in messages("release_standard", ["perf_error_regression"])
	contains(msg, "error rate 0.0319 in perf_error_regression.yaml is above the baseline 0.0018 + 0.01")
}

test_k6_run_compared_with_labelled_baseline if {
	count(messages("release_major", ["k6_current", "k6_baseline"])) == 0
	some w in tst_003.warn with input as run("release_major", ["k6_current", "k6_baseline"])
	contains(w.msg, `threshold "p(99)<350" on http_req_duration was crossed`)
	w.evidence[0] == {"path": "evidence/k6_current.json", "pointer": "/metrics/http_req_duration/thresholds/p(99)<350"}
}

test_k6_run_without_baseline_fails if {
	some msg in messages("release_major", ["k6_current"])
	contains(msg, "no baseline to compare with")
}

test_missing_baseline_fails if {
	some msg in messages("release_major", ["perf_no_baseline"])
	contains(msg, "perf_no_baseline.yaml has no baseline to compare with")
}

test_missing_p95_fails if {
	some msg in messages("release_major", ["perf_no_p95"])
	contains(msg, "reports no latency_p95_ms")
}

test_missing_error_rate_fails if {
	some msg in messages("release_major", ["perf_no_error_rate"])
	contains(msg, "reports no error_rate")
}

test_baseline_without_p95_fails if {
	some msg in messages("release_major", ["perf_baseline_no_p95"])
	contains(msg, "the baseline of perf_baseline_no_p95.yaml has no latency_p95_ms")
}

test_baseline_without_error_rate_fails if {
	some msg in messages("release_major", ["perf_baseline_no_error_rate"])
	contains(msg, "the baseline of perf_baseline_no_error_rate.yaml has no error_rate")
}

test_major_release_without_summary_fails if {
	messages("release_major", []) == {"major release without a performance test summary"}
}

test_standard_release_without_summary_is_not_applicable if {
	count(tst_003.deny) == 0 with input as run("release_standard", [])
	count(tst_003.not_applicable) == 1 with input as run("release_standard", [])
}
