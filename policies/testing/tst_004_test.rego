package gatecheck.controls.tst_004_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.tst_004

# A pentest summary, each finding with the fields the parser writes for it.
pentest(overrides) := object.union(given, {"findings": with_fields(given.findings)}) if {
	given := object.union(
		object.union(facts.empty.pentest_summary, {
			"scope": {"environment": "staging", "targets": ["https://staging.payments.example.org"]},
			"performed_at": "2026-02-10T17:00:00Z",
			"findings": [
				{"id": "PT-1", "title": "Verbose errors", "severity": "low", "status": "open"},
				{"id": "PT-2", "title": "IDOR on /accounts", "severity": "high", "status": "fixed"},
			],
			"reviewer": "sec-lead@example.org",
			"reviewed_at": "2026-02-12T09:00:00Z",
			"pointer": "",
			"source": {"path": "evidence/pentest.json"},
		}),
		overrides,
	)
}

with_fields(findings) := [object.union(facts.empty.pentest_finding, f) | some f in findings] if is_array(findings)

with_fields(findings) := findings if not is_array(findings)

run(class, pentests) := {
	"stage": "production",
	"effective_time": "2026-03-01T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "3.0.0", "class": class, "source": {"path": "evidence/r.json"}}),
	"evidence": {"pentest_summary": pentests},
}

test_reviewed_preproduction_pentest_passes if {
	count(tst_004.deny) == 0 with input as run("major", [pentest({})])
}

test_major_release_without_pentest_fails if {
	some r in tst_004.deny with input as run("major", [])
	contains(r.msg, "major release without a penetration test of a pre-production environment")
}

test_production_pentest_does_not_count_for_major if {
	some r in tst_004.deny with input as run("major", [pentest({"scope": {"environment": "production", "targets": []}})])
	contains(r.msg, "without a penetration test of a pre-production")
}

test_stale_pentest_fails_for_any_release if {
	some r in tst_004.deny with input as run("standard", [pentest({"performed_at": "2025-08-01T00:00:00Z", "reviewed_at": "2025-08-02T00:00:00Z"})])
	contains(r.msg, "is 212 days old; the limit is 180 days")
}

test_open_high_finding_fails if {
	findings := [{"id": "PT-9", "title": "SQL injection", "severity": "High", "status": "open"}]
	some r in tst_004.deny with input as run("major", [pentest({"findings": findings})])
	r.msg == "unresolved high pentest finding PT-9: SQL injection"
	r.scope.vulnerability == "PT-9"
	r.evidence[0].pointer == "/findings/0"
}

test_critical_finding_merely_marked_accepted_fails if {
	findings := [{"id": "PT-3", "title": "RCE in upload", "severity": "critical", "status": "accepted"}]
	some r in tst_004.deny with input as run("major", [pentest({"findings": findings})])
	contains(r.msg, "unresolved critical pentest finding PT-3: RCE in upload (marked \"accepted\": accepting a risk takes a gatecheck waiver")
	r.scope.vulnerability == "PT-3"
}

test_status_spelling_does_not_clear_a_finding if {
	every status in ["Accepted", " open", "ACCEPTED "] {
		count(tst_004.deny) == 1 with input as run("major", [pentest({"findings": [{"id": "PT-3", "severity": "high", "status": status}]})])
	}
}

test_only_a_resolved_status_clears_a_finding if {
	count(tst_004.deny) == 0 with input as run("major", [pentest({"findings": [{"id": "PT-3", "severity": "critical", "status": " Fixed"}]})])
}

test_accepted_low_finding_below_the_threshold_passes if {
	count(tst_004.deny) == 0 with input as run("major", [pentest({"findings": [{"id": "PT-5", "severity": "low", "status": "accepted"}]})])
}

test_unknown_status_cannot_be_judged if {
	some r in tst_004.deny with input as run("major", [pentest({"findings": [{"id": "PT-6", "severity": "high", "status": "risk-accepted"}]})])
	contains(r.msg, `unknown status "risk-accepted"`)
}

test_statuses_come_from_policy_data if {
	findings := [{"id": "PT-3", "severity": "critical", "status": "accepted"}]
	count(tst_004.deny) == 0 with input as run("major", [pentest({"findings": findings})])
		with data.gatecheck.config.params.pentest_resolved_statuses as ["fixed", "accepted"]
		with data.gatecheck.config.params.pentest_unresolved_statuses as ["open"]
}

test_unknown_severity_fails if {
	findings := [{"id": "PT-4", "severity": "severe", "status": "open"}]
	some r in tst_004.deny with input as run("major", [pentest({"findings": findings})])
	contains(r.msg, `unknown severity "severe"`)
}

test_missing_sign_off_fails if {
	some r in tst_004.deny with input as run("major", [pentest({"reviewer": null, "reviewed_at": null})])
	contains(r.msg, "no sign-off: no reviewer and reviewed_at")
}

test_sign_off_after_effective_time_fails if {
	some r in tst_004.deny with input as run("major", [pentest({"reviewed_at": "2026-03-02T09:00:00Z"})])
	contains(r.msg, "after the effective time")
}

test_sign_off_before_test_fails if {
	some r in tst_004.deny with input as run("major", [pentest({"reviewed_at": "2026-02-01T09:00:00Z"})])
	contains(r.msg, "before it was performed")
}

test_standard_release_without_pentest_is_not_applicable if {
	count(tst_004.deny) == 0 with input as run("standard", [])
	count(tst_004.not_applicable) == 1 with input as run("standard", [])
}

test_summary_without_findings_fails if {
	some r in tst_004.deny with input as run("major", [object.union(pentest({}), {"findings": null})])
	contains(r.msg, "lists no findings, not even an empty list")
}

test_summary_with_null_findings_fails if {
	some r in tst_004.deny with input as run("major", [pentest({"findings": null})])
	contains(r.msg, "lists no findings")
}

test_summary_with_no_findings_listed_as_empty_passes if {
	count(tst_004.deny) == 0 with input as run("major", [pentest({"findings": []})])
}
