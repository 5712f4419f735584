# METADATA
# title: No performance regression
# description: >-
#   The release's load test shows p95 latency no more than `perf_p95_tolerance` (10%) above
#   the baseline and an error rate no more than `perf_error_rate_tolerance` above the
#   baseline's. The baseline is the summary's own `baseline`, else the one performance
#   summary labelled `role=baseline` (e.g. the last release's k6 run). Major releases must
#   have a performance summary; other releases are judged when they have one. A summary, or
#   its baseline, without a p95 latency or an error rate fails: a regression that was not
#   measured is not shown absent. Thresholds a
#   k6 script declared and crossed are reported as warnings.
# custom:
#   id: GC-TST-003
#   severity: high
#   remediation: >-
#     Find and fix the regression, re-run the load test, and add its summary (`k6 run
#     --summary-export=summary.json`, or a gatecheck PerformanceSummary) together with the
#     baseline (`--label role=baseline`).
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29, A.8.32]
#     nist-800-53: [SA-11, CM-4]
#   evidence: [performance-summary, release-manifest]
#   params: [perf_p95_tolerance, perf_error_rate_tolerance]
#   applicability: [release-manifest/class, performance-summary]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_003

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

summaries := lib.evidence("performance_summary")

current := [s | some s in summaries; object.get(s, "role", "current") == "current"]

baselines := [s | some s in summaries; object.get(s, "role", "current") == "baseline"]

name(s) := object.get(object.get(s, "source", {}), "name", "the performance summary")

ref(s, key) := lib.ref_at(s, s.pointers[key]) if is_string(s.pointers[key])

else := lib.ref(s)

# The baseline a summary is compared with, and the evidence it comes from.
baseline(s) := [s.baseline, lc.field_ref(s, "/baseline")] if {
	is_object(object.get(s, "baseline", null))
} else := [b, lib.ref(b)] if {
	count(baselines) == 1
	b := baselines[0]
}

not_applicable contains sprintf("a %s release without a performance summary: only major releases must have one", [lc.release_class]) if {
	not lc.major
	count(current) == 0
}

deny contains result if {
	lc.major
	count(current) == 0
	result := lib.result(
		rego.metadata.chain(),
		"major release without a performance test summary",
		[lib.ref(b) | some b in baselines],
	)
}

deny contains result if {
	some s in current
	some key in ["latency_p95_ms", "error_rate"]
	not is_number(object.get(s, key, null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s reports no %s", [name(s), key]),
		[lib.ref(s)],
	)
}

deny contains result if {
	some s in current
	not is_object(object.get(s, "baseline", null))
	count(baselines) != 1
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s has no baseline to compare with (%d summaries are labelled role=baseline; exactly one is needed)", [name(s), count(baselines)]),
		[lib.ref(s)],
	)
}

deny contains result if {
	some s in current
	[b, bref] := baseline(s)
	some key in ["latency_p95_ms", "error_rate"]
	not is_number(object.get(b, key, null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the baseline of %s has no %s", [name(s), key]),
		[bref],
	)
}

deny contains result if {
	some s in current
	[b, bref] := baseline(s)
	is_number(s.latency_p95_ms)
	is_number(b.latency_p95_ms)
	limit := b.latency_p95_ms * (1 + lib.param("perf_p95_tolerance"))
	s.latency_p95_ms > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("p95 latency %v ms in %s is above the baseline %v ms + %v%% (limit %v ms)", [s.latency_p95_ms, name(s), b.latency_p95_ms, lib.param("perf_p95_tolerance") * 100, round(limit * 100) / 100]),
		[ref(s, "latency_p95_ms"), bref],
	)
}

deny contains result if {
	some s in current
	[b, bref] := baseline(s)
	is_number(s.error_rate)
	is_number(b.error_rate)
	limit := b.error_rate + lib.param("perf_error_rate_tolerance")
	s.error_rate > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("error rate %v in %s is above the baseline %v + %v (limit %v)", [s.error_rate, name(s), b.error_rate, lib.param("perf_error_rate_tolerance"), limit]),
		[ref(s, "error_rate"), bref],
	)
}

warn contains result if {
	some s in current
	some t in object.get(s, "thresholds_failed", [])
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s: the load test's own threshold %q on %s was crossed", [name(s), t.threshold, t.metric]),
		[lib.ref_at(s, t.pointer)],
	)
}
