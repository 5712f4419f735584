# METADATA
# title: Penetration test reviewed
# description: >-
#   A major release has a penetration test of a pre-production environment
#   (`pentest_environments`) no older than `pentest_max_age_days`; any release whose newest
#   pentest is older than that needs a new one. The pentest that counts has no finding at or
#   above `pentest_fail_severity` whose status is unresolved (`pentest_unresolved_statuses`:
#   open, or merely `accepted`: accepting a risk is a gatecheck waiver scoped to the finding,
#   with an approver and an expiry, not a word in the report), and a named reviewer signed it
#   off after the test and before the effective time. Only `pentest_resolved_statuses`
#   (fixed) clear a finding; statuses are compared trimmed and case-folded. Findings with an
#   unknown severity or status cannot be judged and are reported.
# custom:
#   id: GC-TST-004
#   severity: high
#   remediation: >-
#     Commission or repeat the penetration test against staging, fix the critical and high
#     findings (or accept one formally: a gatecheck waiver for GC-TST-004 scoped to its
#     finding id, with approver and expiry), have the results reviewed and signed off, and add the
#     summary (`kind: PentestSummary`) to the bundle.
#   frameworks:
#     soc2: [CC4.1, CC8.1]
#     iso27001: [A.8.8, A.8.29]
#     nist-800-53: [CA-8, SA-11, SI-2]
#   evidence: [pentest-summary, release-manifest]
#   params: [pentest_max_age_days, pentest_environments, pentest_fail_severity, pentest_resolved_statuses, pentest_unresolved_statuses]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_004

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

pentests := lib.evidence("pentest_summary")

max_age := lib.param("pentest_max_age_days")

preproduction := [p | some p in pentests; p.scope.environment in lib.param("pentest_environments")]

recent(p) if lc.age_days(p.performed_at) <= max_age

# The pentest the release is judged on: the newest pre-production one for a major release,
# else the newest of any.
judged := lc.newest(preproduction, "performed_at") if lc.major

judged := lc.newest(pentests, "performed_at") if not lc.major

not_applicable contains sprintf("a %s release with no penetration test on record: only major releases need one", [lc.release_class]) if {
	not lc.major
	count(pentests) == 0
}

deny contains result if {
	lc.major
	count(preproduction) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("major release without a penetration test of a pre-production environment (%v)", [lib.param("pentest_environments")]),
		[lib.ref(p) | some p in pentests],
	)
}

deny contains result if {
	some p in judged
	not recent(p)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the newest penetration test%s (%s, of %s) is %d days old; the limit is %d days", [
			pre_production_word, p.performed_at, p.scope.environment, lc.age_days(p.performed_at), max_age,
		]),
		[lc.field_ref(p, "/performed_at")],
	)
}

pre_production_word := " in pre-production" if lc.major

else := ""

# Positive evidence: a summary that does not list its findings (not even `[]`) says nothing
# about what the test found.
deny contains result if {
	some p in judged
	lib.missing(p, "findings")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the penetration test of %s (%s) lists no findings, not even an empty list: what it found is unknown", [p.scope.environment, p.performed_at]),
		[lc.field_ref(p, "/findings")],
	)
}

status_key(status) := lower(trim_space(status))

resolved_statuses := {status_key(s) | some s in lib.param("pentest_resolved_statuses")}

unresolved_statuses := {status_key(s) | some s in lib.param("pentest_unresolved_statuses")}

# Why an unresolved finding is not cleared, in the words of its status.
unresolved_note(f) := "" if {
	status_key(f.status) == "open"
} else := sprintf(" (marked %q: accepting a risk takes a gatecheck waiver scoped to the finding, with approver and expiry)", [f.status])

deny contains result if {
	some p in judged
	some i, f in p.findings
	status_key(f.status) in unresolved_statuses
	lower(f.severity) in object.keys(lib.severity_rank)
	lib.at_or_above(lower(f.severity), lib.param("pentest_fail_severity"))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("unresolved %s pentest finding %s: %v%s", [lower(f.severity), finding_id(f, i), object.get(f, "title", null), unresolved_note(f)]),
		[lc.field_ref(p, sprintf("/findings/%d", [i]))],
		{"vulnerability": finding_id(f, i)},
	)
}

known_status(status) if status_key(status) in resolved_statuses

known_status(status) if status_key(status) in unresolved_statuses

finding_id(f, i) := f.id if lc.present(object.get(f, "id", null))

else := sprintf("finding-%d", [i])

deny contains result if {
	some p in judged
	some i, f in p.findings
	problems := array.concat(
		[sprintf("severity %q", [f.severity]) | not lower(f.severity) in object.keys(lib.severity_rank)],
		[sprintf("status %q", [f.status]) | not known_status(f.status)],
	)
	count(problems) > 0
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("pentest finding %s has an unknown %s and cannot be judged", [finding_id(f, i), concat(" and ", problems)]),
		[lc.field_ref(p, sprintf("/findings/%d", [i]))],
		{"vulnerability": finding_id(f, i)},
	)
}

deny contains result if {
	some p in judged
	missing := [f | some f in ["reviewer", "reviewed_at"]; lc.blank(object.get(p, f, null))]
	count(missing) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the penetration test of %s (%s) has no sign-off: no %s", [p.scope.environment, p.performed_at, concat(" and ", missing)]),
		[lc.field_ref(p, "/reviewed_at")],
	)
}

deny contains result if {
	some p in judged
	is_string(p.reviewed_at)
	lc.ns(p.reviewed_at) > input.effective_time_ns
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the penetration test was signed off at %s, after the effective time %s", [p.reviewed_at, input.effective_time]),
		[lc.field_ref(p, "/reviewed_at")],
	)
}

deny contains result if {
	some p in judged
	is_string(p.reviewed_at)
	lc.ns(p.reviewed_at) < lc.ns(p.performed_at)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the penetration test was signed off at %s, before it was performed (%s)", [p.reviewed_at, p.performed_at]),
		[lc.field_ref(p, "/reviewed_at")],
	)
}
