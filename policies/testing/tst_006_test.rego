package gatecheck.controls.tst_006_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.tst_006

approval(overrides) := object.union(
	object.union(facts.empty.approval, {
		"approver": "olivia@example.org",
		"roles": ["product-owner"],
		"person": "olivia@example.org",
		"person_roles": ["product-owner"],
		"decision": "approved",
		"time": "2026-02-28T15:00:00Z",
		"release_version": "3.0.0",
		"kind": "uat",
		"source": {"path": "evidence/uat.json"},
	}),
	overrides,
)

run(class, approvals) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "3.0.0", "class": class, "source": {"path": "evidence/r.json"}}),
	"evidence": {"approval": approvals},
}

test_business_sign_off_passes if {
	count(tst_006.deny) == 0 with input as run("major", [approval({})])
}

test_role_from_directory_counts if {
	count(tst_006.deny) == 0 with input as run("major", [approval({"person_roles": []})])
		with data.gatecheck.config.params.approver_roles as {"olivia@example.org": ["business-owner"]}
}

test_missing_sign_off_fails if {
	some r in tst_006.deny with input as run("major", [approval({"kind": "change"})])
	contains(r.msg, "without a UAT sign-off")
}

test_sign_off_by_other_role_fails if {
	some r in tst_006.deny with input as run("major", [approval({"person_roles": ["developer"]})])
	contains(r.msg, "(1 UAT approval(s) for this version)")
}

test_sign_off_for_other_version_fails if {
	some r in tst_006.deny with input as run("major", [approval({"release_version": "2.9.0"})])
	contains(r.msg, "(0 UAT approval(s) for this version)")
}

test_sign_off_after_effective_time_fails if {
	count(tst_006.deny) == 1 with input as run("major", [approval({"time": "2026-03-02T09:00:00Z"})])
}

test_rejection_fails_despite_sign_off if {
	rejected := approval({"approver": "bob@example.org", "person": "bob@example.org", "decision": "rejected"})
	some r in tst_006.deny with input as run("major", [approval({}), rejected])
	contains(r.msg, "bob@example.org rejected UAT of version 3.0.0")
}

test_standard_release_is_not_applicable if {
	count(tst_006.deny) == 0 with input as run("standard", [])
	count(tst_006.not_applicable) == 1 with input as run("standard", [])
}
