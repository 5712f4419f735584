package gatecheck.controls.art_006_test

import rego.v1

import data.gatecheck.artifacts.fixtures as f
import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_006

finding(overrides) := object.union(
	{
		"run": 0, "tool": "Bandit", "rule_id": "B602", "kind": "fail", "level": "warning",
		"security_severity": null, "message": "subprocess call with shell=True",
		"locations": [{"uri": "src/app.py", "uri_base_id": null, "start_line": 6}],
		"suppressions": [], "suppressed": false, "suppression_justified": false,
		"suppressed_by_tool": false, "suppression_reason": null,
		"baseline_state": null, "pointer": "/runs/0/results/0",
	},
	overrides,
)

run(overrides) := object.union(
	{
		"index": 0, "tool": {"name": "Bandit", "version": "1.9.4"}, "execution_successful": true,
		"errors": [], "results_computed": true, "result_count": 1, "format_issues": [],
		"pointer": "/runs/0",
	},
	overrides,
)

# A SARIF log as evidence/scans/sarif.py writes it: its tools, state and errors are its runs'.
sarif(runs, results) := {
	"sarif_version": "2.1.0",
	"tools": [r.tool | some r in runs],
	"execution_successful": f.sarif_execution([r.execution_successful | some r in runs]),
	"errors": [e | some r in runs; some e in r.errors],
	"runs": runs,
	"runs_null": false,
	"results": results,
	"source": f.named_source("evidence/004-bandit.sarif", "bandit.sarif", "sarif"),
}

doc(stage, logs) := {
	"stage": stage,
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0",
		"artifacts": [object.union(facts.empty.artifact, {"name": "payments-api", "version": "1.4.0"})],
		"source": {"path": "evidence/000-release.json"},
	}),
	"evidence": {"sast": logs},
}

prod(results) := doc("production", [sarif([run({})], results)])

test_warnings_below_threshold_pass if {
	count(art_006.deny) == 0 with input as prod([finding({}), finding({"security_severity": 6.9})])
	count(art_006.not_applicable) == 0 with input as prod([])
}

test_error_level_fails_with_rule_and_file_scope if {
	some r in art_006.deny with input as prod([finding({"level": "error"})])
	r.scope == {"vulnerability": "B602", "component": "src/app.py"}
	r.evidence == [{"path": "evidence/004-bandit.sarif", "pointer": "/runs/0/results/0"}]
	contains(r.msg, "B602 at src/app.py:6")
	contains(r.msg, "level error")
}

test_security_severity_at_threshold_fails if {
	some r in art_006.deny with input as prod([finding({"security_severity": 7.0})])
	contains(r.msg, "security-severity 7 >= sast_fail_security_severity 7")
}

test_threshold_is_a_parameter if {
	count(art_006.deny) == 0 with input as prod([finding({"security_severity": 7.5})])
		with data.gatecheck.config.params.sast_fail_security_severity as 8.0
}

test_justified_suppression_passes if {
	suppressed := finding({
		"level": "error", "suppressed": true, "suppression_justified": true,
		"suppressions": [{"kind": "external", "status": "accepted", "justification": "input is a constant"}],
	})
	count(art_006.deny) == 0 with input as prod([suppressed])
}

test_suppression_without_justification_fails if {
	suppressed := finding({"level": "error", "suppressed": true, "suppression_justified": false})
	some r in art_006.deny with input as prod([suppressed])
	contains(r.msg, "suppressed without a justification")
}

test_rejected_suppression_fails if {
	rejected := finding({
		"level": "error", "suppressed": false, "suppression_justified": false,
		"suppressions": [{"kind": "external", "status": "rejected", "justification": "no"}],
	})
	count(art_006.deny) == 1 with input as prod([rejected])
}

test_absent_baseline_results_are_gone if {
	count(art_006.deny) == 0 with input as prod([finding({"level": "error", "baseline_state": "absent"})])
}

test_failed_execution_fails if {
	failed := sarif([run({"tool": {"name": "ESLint", "version": "8.57.0"}, "execution_successful": false, "errors": [{"message": "Parsing error: 'with' in strict mode", "pointer": "/runs/0/invocations/0"}]})], [])
	some r in art_006.deny with input as doc("production", [failed])
	r.msg == "ESLint 8.57.0 did not run successfully in bandit.sarif: Parsing error: 'with' in strict mode"
	r.evidence == [{"path": "evidence/004-bandit.sarif", "pointer": "/runs/0"}]
}

test_run_without_results_fails if {
	incomplete := sarif([run({"results_computed": false, "execution_successful": null})], [])
	some r in art_006.deny with input as doc("production", [incomplete])
	contains(r.msg, "computed no results")
}

test_missing_sarif_is_a_violation if {
	some r in art_006.deny with input as doc("production", [])
	startswith(r.msg, "missing evidence")
}

test_release_without_artifacts_or_sarif_is_not_applicable if {
	no_artifacts := object.union(doc("production", []), {"release": {"artifacts": []}})
	count(art_006.deny) == 0 with input as no_artifacts
	count(art_006.not_applicable) == 1 with input as no_artifacts
}

test_log_without_runs_fails if {
	some r in art_006.deny with input as doc("production", [sarif([], [])])
	contains(r.msg, "records no run")
}

test_non_numeric_threshold_fails_closed if {
	some r in art_006.deny with input as prod([])
		with data.gatecheck.config.params.sast_fail_security_severity as "7"
	contains(r.msg, "parameter sast_fail_security_severity is 7")
}

# {"version": "2.1.0", "runs": null}: the analyzer failed before any run (SARIF 2.1.0 §3.13.4).
test_runs_null_is_a_failed_analysis_not_a_pass if {
	log := object.union(sarif([], []), {"runs_null": true})
	denies := art_006.deny with input as doc("production", [log])
	count(denies) == 1
	some r in denies
	contains(r.msg, "has \"runs\": null: the analyzer failed before it could start a run")
	r.evidence == [{"path": "evidence/004-bandit.sarif", "pointer": "/runs"}]
}

test_unjustified_suppression_in_the_tool_still_fails if {
	suppressed := finding({
		"level": "error", "suppressions": [{"kind": "inSource", "status": null, "justification": null}],
		"suppressed": true, "suppression_justified": false,
		"suppressed_by_tool": true, "suppression_reason": null,
	})
	some r in art_006.deny with input as prod([suppressed])
	contains(r.msg, "suppressed without a justification")
}
