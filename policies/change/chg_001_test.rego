package gatecheck.controls.chg_001_test

import rego.v1

import data.gatecheck.controls.chg_001
import data.gatecheck.governance.fixtures as f

owner := f.approval("s.nakamura@example.org", ["service-owner"], {"kind": "cab"})

security := f.approval("r.haddad@example.org", ["security"], {"kind": "cab", "pointer": "/approvals/1"})

major := f.release({"class": "major"})

messages(doc) := {r.msg | some r in chg_001.deny with input as doc}

test_standard_low_risk_change_from_template_is_auto_approved if {
	doc := f.input_for(
		f.release({"risk": "low"}),
		{"change_record": [f.change_record({"pre_approved": true, "pre_approved_template": "std-web-config"})]},
	)
	templates := ["std-web-config"]
	count(chg_001.deny) == 0 with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
	chg_001.auto_approval_eligible with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
	chg_001.auto_approval.auto_approved with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
	chg_001.auto_approval.template == "std-web-config" with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
}

test_template_claim_is_not_enough_when_no_template_is_pre_approved if {
	doc := f.input_for(
		f.release({"risk": "low"}),
		{"change_record": [f.change_record({"pre_approved": true, "pre_approved_template": "std-web-config"})]},
	)
	not chg_001.auto_approval_eligible with input as doc
	"standard low-risk release needs 1 distinct approver(s); 0 valid approval(s) found" in messages(doc)
}

test_approval_without_an_established_person_does_not_count if {
	claimed := object.union(security, {"person": null, "person_roles": [], "claimed_roles": ["security"]})
	msgs := messages(f.input_for(major, {"approval": [owner, claimed]}))
	"no valid approval by the required role \"security\" for this major medium-risk release" in msgs
}

test_one_person_under_two_approvals_is_one_approver if {
	again := object.union(owner, {"pointer": "/approvals/2", "approver": "snakamura", "person": "s.nakamura@example.org"})
	msgs := messages(f.input_for(major, {"approval": [owner, again]}))
	"major medium-risk release needs 2 distinct approver(s); 1 valid approval(s) found (s.nakamura@example.org)" in msgs
}

test_template_outside_the_allowed_list_is_not_auto_approved if {
	doc := f.input_for(
		f.release({"risk": "low"}),
		{"change_record": [f.change_record({"pre_approved": true, "pre_approved_template": "anything"})]},
	)
	not chg_001.auto_approval_eligible with input as doc with data.gatecheck.config.params.pre_approved_templates as ["std-web-config"]
	"standard low-risk release needs 1 distinct approver(s); 0 valid approval(s) found" in messages(doc) with data.gatecheck.config.params.pre_approved_templates as ["std-web-config"]
}

test_standard_low_risk_change_without_template_needs_an_approval if {
	doc := f.input_for(f.release({"risk": "low"}), {"change_record": [f.change_record({})]})
	not chg_001.auto_approval_eligible with input as doc
	"standard low-risk release needs 1 distinct approver(s); 0 valid approval(s) found" in messages(doc)
}

test_medium_risk_change_from_template_is_not_auto_approved if {
	doc := f.input_for(
		f.release({}),
		{"change_record": [f.change_record({"pre_approved": true, "pre_approved_template": "std-web-config"})]},
	)
	not chg_001.auto_approval_eligible with input as doc
	count(chg_001.deny) == 1 with input as doc
}

test_standard_change_with_one_approval_passes if {
	doc := f.input_for(f.release({}), {"approval": [owner]})
	count(chg_001.deny) == 0 with input as doc
	not chg_001.auto_approval_eligible with input as doc
}

test_major_release_with_owner_and_security_passes if {
	count(chg_001.deny) == 0 with input as f.input_for(major, {"approval": [owner, security]})
}

test_major_release_missing_the_security_approver_fails if {
	other := f.approval("p.moreau@example.org", ["service-owner"], {})
	msgs := messages(f.input_for(major, {"approval": [owner, other]}))
	msgs == {`no valid approval by the required role "security" for this major medium-risk release`}
}

test_major_release_with_one_approver_fails_the_quorum if {
	both := f.approval("s.nakamura@example.org", ["service-owner", "security"], {})
	msgs := messages(f.input_for(major, {"approval": [both]}))
	msgs == {"major medium-risk release needs 2 distinct approver(s); 1 valid approval(s) found (s.nakamura@example.org)"}
}

test_high_risk_standard_release_needs_the_cab_quorum if {
	msgs := messages(f.input_for(f.release({"risk": "high"}), {"approval": [owner]}))
	"standard high-risk release needs 2 distinct approver(s); 1 valid approval(s) found (s.nakamura@example.org)" in msgs
	`no valid approval by the required role "security" for this standard high-risk release` in msgs
}

test_one_person_under_two_names_counts_once if {
	alias := f.approval("snakamura", ["security"], {})
	doc := f.input_for(major, {"approval": [owner, alias]})
	count(chg_001.deny) == 0 with input as doc
	"major medium-risk release needs 2 distinct approver(s); 1 valid approval(s) found (s.nakamura@example.org)" in messages(doc) with data.gatecheck.config.params.identity_aliases as {"snakamura": "s.nakamura@example.org"}
}

test_roles_come_from_the_approver_directory if {
	reviewer := f.approval("rhaddad", [], {})
	doc := f.input_for(major, {"approval": [owner, reviewer]})
	count(chg_001.deny) == 1 with input as doc
	count(chg_001.deny) == 0 with input as doc with data.gatecheck.config.params.approver_roles as {"rhaddad": ["security"]}
}

test_approvals_for_another_version_do_not_count if {
	stale := f.approval("r.haddad@example.org", ["security"], {"release_version": "2.3.0"})
	msgs := messages(f.input_for(major, {"approval": [owner, stale]}))
	`no valid approval by the required role "security" for this major medium-risk release` in msgs
}

test_rejections_and_uat_sign_offs_do_not_count if {
	rejected := f.approval("r.haddad@example.org", ["security"], {"decision": "rejected"})
	uat := f.approval("b.owner@example.org", ["security"], {"kind": "uat"})
	msgs := messages(f.input_for(major, {"approval": [owner, rejected, uat]}))
	`no valid approval by the required role "security" for this major medium-risk release` in msgs
}

test_approval_after_the_effective_time_does_not_count if {
	late := f.approval("s.nakamura@example.org", [], {"time": "2026-03-04T11:00:00Z"})
	count(chg_001.deny) == 1 with input as f.input_for(f.release({}), {"approval": [late]})
}

test_unsigned_approval_does_not_count_when_signatures_are_required if {
	signed := object.union(owner, {"signed": true, "verified": true, "signer": {"key_id": "abc", "alias": null}})
	count(chg_001.deny) == 1 with input as f.input_for(f.release({}), {"approval": [owner]})
		with data.gatecheck.config.params.require_signed_approvals as true
	count(chg_001.deny) == 0 with input as f.input_for(f.release({}), {"approval": [signed]})
		with data.gatecheck.config.params.require_signed_approvals as true
}

emergency_change := f.change_record({
	"status": "emergency-approved",
	"emergency": {"justification": "double charges", "incident_ref": "INC1", "postmortem_due": "2026-03-10T00:00:00Z"},
	"cab_review_due": "2026-03-06T16:00:00Z",
})

emergency_approver := f.approval("k.osei@example.org", ["emergency-approver"], {"kind": "emergency"})

test_emergency_change_with_emergency_approver_and_cab_review_passes if {
	doc := f.input_for(f.release({"class": "emergency"}), {"change_record": [emergency_change], "approval": [emergency_approver]})
	count(chg_001.deny) == 0 with input as doc
}

test_emergency_change_without_emergency_approver_fails if {
	doc := f.input_for(f.release({"class": "emergency"}), {"change_record": [emergency_change], "approval": [owner]})
	messages(doc) == {`no valid approval by the required role "emergency-approver" for this emergency medium-risk release`}
}

test_emergency_change_without_cab_review_fails if {
	change := object.union(emergency_change, {"cab_review_due": null})
	doc := f.input_for(f.release({"class": "emergency"}), {"change_record": [change], "approval": [emergency_approver]})
	messages(doc) == {"emergency change CHG100 schedules no CAB review (cab_review_due)"}
}

test_emergency_cab_review_too_late_fails if {
	change := object.union(emergency_change, {"cab_review_due": "2026-03-12T00:00:00Z"})
	doc := f.input_for(f.release({"class": "emergency"}), {"change_record": [change], "approval": [emergency_approver]})
	some r in chg_001.deny with input as doc
	contains(r.msg, "CAB review due 2026-03-12T00:00:00Z, more than 5 days after")
	r.evidence == [{"path": "evidence/change.yaml", "pointer": "/cab_review_due"}]
}

test_emergency_without_change_record_fails if {
	doc := f.input_for(f.release({"class": "emergency"}), {"approval": [emergency_approver]})
	messages(doc) == {"emergency release without its change record CHG100, so no CAB review is scheduled"}
}

test_unknown_class_and_risk_fail_closed if {
	msgs := messages(f.input_for(f.release({"class": "huge", "risk": null}), {"approval": [owner, security]}))
	`release class "huge" is not one of ["emergency", "major", "standard"], so the approvals it needs are unknown` in msgs
	`release risk null is not one of ["low", "medium", "high"], so the approvals it needs are unknown` in msgs
}

test_info_declares_control if {
	chg_001.info.id == "GC-CHG-001"
	chg_001.info.stages.production == "fail"
}
