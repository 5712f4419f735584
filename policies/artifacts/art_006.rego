# METADATA
# title: Static analysis clean
# description: >-
#   Static analysis (any SARIF 2.1.0 producer: bandit, semgrep, CodeQL, ESLint...) ran to
#   completion on the release and reported nothing serious that was not deliberately
#   suppressed. A result fails when its level is `error` or its security-severity is at or
#   above `sast_fail_security_severity` (7.0), unless the SARIF log suppresses it with a
#   justification: an accepted suppression (status `accepted` or absent, none `underReview`
#   or `rejected`) whose justification is not blank. Levels follow the SARIF defaults
#   (result level, else the rule's default level, else `warning`; `none` for results of a
#   kind other than `fail`); results whose baselineState is `absent` are gone and never
#   fail. A run fails when the tool reports that it did not execute successfully or did not
#   compute its results. A release that lists no artifacts and has no SARIF log is not
#   applicable. Results carry scope `vulnerability` (the rule id) and `component` (the
#   result's first location), so a waiver can target one rule or one rule in one file.
# custom:
#   id: GC-ART-006
#   severity: high
#   remediation: >-
#     Fix the reported code, or suppress a false positive in the tool with a recorded
#     justification (e.g. a SARIF suppression with status accepted); make sure the analyzer
#     runs to completion (configuration and parse errors fail the run) and add its SARIF log
#     with `gatecheck bundle add --type sast`.
#   frameworks:
#     nist-800-53: [SA-11, SA-15, RA-5]
#     iso27001: [A.8.25, A.8.28, A.8.29]
#     soc2: [CC8.1]
#   evidence: [sast, release-manifest]
#   params: [sast_fail_security_severity]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.art_006

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

logs := lib.evidence("sast")

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

not_applicable contains "the release lists no artifacts and the bundle holds no SARIF log, so there is no code to analyse (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
	count(logs) == 0
}

deny contains result if {
	count(logs) == 0
	count(artifacts) > 0
	result := lib.result(
		rego.metadata.chain(),
		"missing evidence: the bundle holds no SARIF static-analysis log",
		[lib.release_ref("/artifacts")],
	)
}

log_name(log) := object.get(object.get(log, "source", {}), "name", "SARIF log")

deny contains result if {
	value := lib.param("sast_fail_security_severity")
	not valid_threshold(value)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("parameter sast_fail_security_severity is %v; use a number from 0 to 10", [value]),
		[],
	)
}

valid_threshold(value) if {
	is_number(value)
	value >= 0
	value <= 10
}

deny contains result if {
	some log in logs
	log.runs_null == true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("SARIF log %s has \"runs\": null: the analyzer failed before it could start a run, so nothing was analysed", [log_name(log)]),
		[lib.ref_at(log, "/runs")],
	)
}

deny contains result if {
	some log in logs
	not log.runs_null == true
	count(object.get(log, "runs", [])) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("SARIF log %s records no run, so no analysis is shown", [log_name(log)]),
		[lib.ref_at(log, "/runs")],
	)
}

# -- failed runs ------------------------------------------------------------------------------

run_errors(run) := concat("; ", [e.message | some e in array.slice(object.get(run, "errors", []), 0, 3)])

error_detail(run) := "" if {
	run_errors(run) == ""
} else := sprintf(": %s", [run_errors(run)])

deny contains result if {
	some log in logs
	some run in log.runs
	run.execution_successful == false
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s did not run successfully in %s%s", [tool_label(run.tool), log_name(log), error_detail(run)]),
		[lib.ref_at(log, run.pointer)],
	)
}

deny contains result if {
	some log in logs
	some run in log.runs
	run.results_computed == false
	run.execution_successful != false
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s computed no results in %s (the run's results are absent or null)", [tool_label(run.tool), log_name(log)]),
		[lib.ref_at(log, run.pointer)],
	)
}

tool_label(tool) := sprintf("%s %s", [tool.name, tool.version]) if {
	is_string(tool.version)
} else := tool.name

# -- findings -------------------------------------------------------------------------------

serious(r) := sprintf("level %s", [r.level]) if {
	r.level == "error"
} else := sprintf("security-severity %v >= sast_fail_security_severity %v", [r.security_severity, lib.param("sast_fail_security_severity")]) if {
	is_number(r.security_severity)
	r.security_severity >= lib.param("sast_fail_security_severity")
}

justified(r) if {
	r.suppressed == true
	r.suppression_justified == true
}

suppression_note(r) := " (suppressed without a justification)" if {
	r.suppressed == true
} else := ""

where(r) := sprintf("%s:%d", [loc.uri, loc.start_line]) if {
	loc := r.locations[0]
	is_string(loc.uri)
	is_number(loc.start_line)
} else := r.locations[0].uri if {
	is_string(r.locations[0].uri)
} else := "(no location)"

first_uri(r) := r.locations[0].uri if {
	is_string(r.locations[0].uri)
} else := ""

rule_label(r) := r.rule_id if {
	is_string(r.rule_id)
} else := "(no rule id)"

deny contains result if {
	some log in logs
	some r in log.results
	r.baseline_state != "absent"
	reason := serious(r)
	not justified(r)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("%s %s at %s: %s (%s%s) [%s]", [
			r.tool, rule_label(r), where(r), object.get(r, "message", ""), reason, suppression_note(r), log_name(log),
		]),
		[lib.ref_at(log, r.pointer)],
		{"vulnerability": rule_label(r), "component": first_uri(r)},
	)
}
