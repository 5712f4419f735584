package gatecheck.controls.art_006_labels_test

import rego.v1

import data.gatecheck.artifacts.fixtures
import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_006

# SARIF facts as the parser gives them when the log leaves optional fields out.
run(overrides) := object.union(
	{
		"index": 0, "tool": {"name": "Semgrep", "version": null}, "execution_successful": true,
		"errors": [], "results_computed": true, "result_count": 1, "format_issues": [],
		"pointer": "/runs/0",
	},
	overrides,
)

finding(overrides) := object.union(
	{
		"run": 0, "tool": "Semgrep", "rule_id": "python.lang.security.audit.eval", "kind": "fail", "level": "error",
		"security_severity": null, "message": "eval of untrusted input",
		"locations": [{"uri": "src/app.py", "uri_base_id": null, "start_line": 12}],
		"suppressions": [], "suppressed": false, "suppression_justified": false,
		"suppressed_by_tool": false, "suppression_reason": null,
		"baseline_state": null, "pointer": "/runs/0/results/0",
	},
	overrides,
)

doc(runs, results) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0",
		"artifacts": [object.union(facts.empty.artifact, {"name": "payments-api", "version": "1.4.0"})],
		"source": {"path": "evidence/000-release.json"},
	}),
	"evidence": {"sast": [{
		"sarif_version": "2.1.0", "runs": runs, "runs_null": false, "results": results,
		"tools": [r.tool | some r in runs],
		"execution_successful": fixtures.sarif_execution([r.execution_successful | some r in runs]),
		"errors": [e | some r in runs; some e in r.errors],
		"source": fixtures.source("evidence/semgrep.sarif", "sarif"),
	}]},
}

test_a_failed_run_without_errors_is_named_by_tool_only if {
	some r in art_006.deny with input as doc([run({"execution_successful": false})], [])
	r.msg == "Semgrep did not run successfully in semgrep.sarif"
}

test_a_finding_without_a_line_is_placed_at_its_file if {
	f := finding({"locations": [{"uri": "src/app.py", "uri_base_id": null, "start_line": null}]})
	some r in art_006.deny with input as doc([run({})], [f])
	contains(r.msg, "at src/app.py: eval of untrusted input")
	r.scope.component == "src/app.py"
}

test_a_finding_without_location_or_rule_still_fails if {
	f := finding({"locations": [], "rule_id": null})
	some r in art_006.deny with input as doc([run({})], [f])
	contains(r.msg, "Semgrep (no rule id) at (no location)")
	r.scope == {"vulnerability": "(no rule id)", "component": ""}
}
