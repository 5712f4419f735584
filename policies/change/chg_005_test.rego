package gatecheck.controls.chg_005_test

import rego.v1

import data.gatecheck.controls.chg_005
import data.gatecheck.governance.fixtures as f

owner := f.approval("s.nakamura@example.org", ["service-owner"], {})

messages(doc) := {r.msg | some r in chg_005.deny with input as doc}

with_approvals(rel, approvals) := f.input_for(rel, {"change_record": [f.change_record({})], "approval": approvals})

test_bound_current_approval_passes if {
	doc := with_approvals(f.release({}), [owner])
	count(chg_005.deny) == 0 with input as doc
	count(chg_005.warn) == 0 with input as doc
	count(chg_005.not_applicable) == 0 with input as doc
}

test_approval_for_another_version_fails if {
	stale := f.approval("r.haddad@example.org", ["security"], {"release_version": "2.3.0", "pointer": "/approvals/1"})
	doc := with_approvals(f.release({}), [owner, stale])
	messages(doc) == {`approval by r.haddad@example.org (approved): is for version "2.3.0", not 2.4.0`}
	some r in chg_005.deny with input as doc
	r.evidence == [{"path": "evidence/approvals.yaml", "pointer": "/approvals/1"}]
}

test_approval_for_another_change_fails if {
	other := f.approval("r.haddad@example.org", [], {"change_id": "CHG099"})
	messages(with_approvals(f.release({}), [other])) == {`approval by r.haddad@example.org (approved): names change "CHG099", not this release's change "CHG100"`}
}

test_approval_naming_no_change_fails if {
	unbound := f.approval("rhaddad", [], {"change_id": null, "release_version": null})
	count(messages(with_approvals(f.release({}), [unbound]))) == 2
}

test_approval_for_another_bundle_fails if {
	other := f.approval("r.haddad@example.org", [], {"bundle_digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222"})
	msgs := messages(with_approvals(f.release({}), [other]))
	msgs == {"approval by r.haddad@example.org (approved): is for bundle sha256:2222222222222222222222222222222222222222222222222222222222222222, not sha256:1111111111111111111111111111111111111111111111111111111111111111"}
}

test_approval_for_this_bundle_passes if {
	this := f.approval("r.haddad@example.org", [], {"bundle_digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"})
	count(chg_005.deny) == 0 with input as with_approvals(f.release({}), [this])
}

test_approval_after_the_effective_time_fails if {
	late := f.approval("r.haddad@example.org", [], {"time": "2026-03-04T10:30:01Z"})
	messages(with_approvals(f.release({}), [late])) == {"approval by r.haddad@example.org (approved): was given at 2026-03-04T10:30:01Z, after the effective time 2026-03-04T10:30:00Z"}
}

test_approval_older_than_the_maximum_age_fails if {
	old := f.approval("r.haddad@example.org", [], {"time": "2026-02-18T10:29:59Z"})
	messages(with_approvals(f.release({}), [old])) == {"approval by r.haddad@example.org (approved): was given at 2026-02-18T10:29:59Z, more than 14 days before 2026-03-04T10:30:00Z"}
	just_in_time := f.approval("r.haddad@example.org", [], {"time": "2026-02-18T10:30:00Z"})
	count(chg_005.deny) == 0 with input as with_approvals(f.release({}), [just_in_time])
}

test_rejection_by_a_required_role_fails if {
	rejection := f.approval("r.haddad@example.org", ["security"], {"decision": "rejected"})
	doc := with_approvals(f.release({"class": "major"}), [owner, rejection])
	messages(doc) == {"approval by r.haddad@example.org (rejected): rejects the change as security, a role this release requires"}
}

test_rejection_by_a_role_the_release_does_not_require_is_allowed if {
	rejection := f.approval("b.owner@example.org", ["product-owner"], {"decision": "rejected", "kind": "uat"})
	count(chg_005.deny) == 0 with input as with_approvals(f.release({"class": "major"}), [owner, rejection])
}

test_unknown_decision_fails if {
	maybe := f.approval("r.haddad@example.org", [], {"decision": "approve"})
	messages(with_approvals(f.release({}), [maybe])) == {`approval by r.haddad@example.org (approve): has the decision "approve"; use approved or rejected`}
}

test_unverified_signature_warns if {
	forged := object.union(owner, {"signed": true, "verification_error": "none of the 1 signature(s) verifies with the 1 configured key(s)"})
	doc := with_approvals(f.release({}), [forged])
	count(chg_005.deny) == 0 with input as doc
	some r in chg_005.warn with input as doc
	r.msg == "approval by s.nakamura@example.org (approved): carries a signature that does not verify (none of the 1 signature(s) verifies with the 1 configured key(s))"
}

test_unsigned_approval_fails_when_signatures_are_required if {
	doc := with_approvals(f.release({}), [owner])
	messages(doc) == {"approval by s.nakamura@example.org (approved): is not signed by a configured key"} with data.gatecheck.config.params.require_signed_approvals as true
	signed := object.union(owner, {"signed": true, "verified": true, "signer": {"key_id": "ab", "alias": null}})
	count(chg_005.deny) == 0 with input as with_approvals(f.release({}), [signed]) with data.gatecheck.config.params.require_signed_approvals as true
}

test_no_approvals_fails_unless_auto_approved if {
	messages(f.input_for(f.release({}), {"change_record": [f.change_record({})]})) == {"the bundle holds no approvals, and the change is not auto-approved"}
}

test_auto_approved_change_without_approvals_is_not_applicable if {
	change := f.change_record({"pre_approved": true, "pre_approved_template": "std-web-config"})
	doc := f.input_for(f.release({"risk": "low"}), {"change_record": [change]})
	templates := ["std-web-config"]
	count(chg_005.deny) == 0 with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
	chg_005.not_applicable == {"no approvals in the bundle, and the change is auto-approved"} with input as doc with data.gatecheck.config.params.pre_approved_templates as templates
}

test_info_declares_control if {
	chg_005.info.id == "GC-CHG-005"
}
