# METADATA
# title: Approvals bound to this release and current
# description: >-
#   Every approval in the bundle is about this change, this release version and (when it
#   names one) this bundle; was given before the effective time and not longer ago than
#   `approval_max_age_days`; and no approver holding a required role rejected the change.
#   An approval for something else is a sign the evidence was assembled from the wrong
#   release.
# custom:
#   id: GC-CHG-005
#   severity: high
#   remediation: >-
#     Remove approvals that belong to other changes or versions and renew stale ones; resolve
#     the rejection with the approver who rejected the change and record a new decision.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3]
#   evidence: [approval, release-manifest]
#   params:
#     - approval_max_age_days
#     - require_signed_approvals
#     - approval_requirements
#     - approval_requirements_by_risk
#     - auto_approval_classes
#     - auto_approval_risks
#     - pre_approved_templates
#     - approver_roles
#     - identity_aliases
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_005

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

decisions := {"approved", "rejected"}

not_applicable contains "no approvals in the bundle, and the change is auto-approved" if {
	count(gov.approvals) == 0
	gov.auto_approval_eligible
}

deny contains result if {
	count(gov.approvals) == 0
	not gov.auto_approval_eligible
	result := lib.result(
		rego.metadata.chain(),
		"the bundle holds no approvals, and the change is not auto-approved",
		[lib.release_ref("/change_id")],
	)
}

# A finding about one approval, cited at the approval.
finding(approval, what) := lib.result(
	rego.metadata.chain(),
	sprintf("approval by %s (%s): %s", [approval.approver, approval.decision, what]),
	[lib.ref(approval)],
)

deny contains finding(approval, what) if {
	some approval in gov.approvals
	object.get(approval, "change_id", null) != gov.release_change_id
	what := sprintf("names change %s, not this release's change %s", [json.marshal(object.get(approval, "change_id", null)), json.marshal(gov.release_change_id)])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	object.get(approval, "release_version", null) != input.release.version
	what := sprintf("is for version %s, not %s", [json.marshal(object.get(approval, "release_version", null)), input.release.version])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	not gov.digest_matches(approval)
	what := sprintf("is for bundle %s, not %v", [approval.bundle_digest, object.get(input.bundle, "digest", null)])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	not approval.decision in decisions
	what := sprintf("has the decision %q; use approved or rejected", [approval.decision])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	gov.approval_time_ns(approval) > input.effective_time_ns
	what := sprintf("was given at %s, after the effective time %s", [approval.time, input.effective_time])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	days := lib.param("approval_max_age_days")
	input.effective_time_ns - gov.approval_time_ns(approval) > days * lib.day_ns
	what := sprintf("was given at %s, more than %d days before %s", [approval.time, days, input.effective_time])
}

deny contains finding(approval, what) if {
	some approval in gov.approvals
	approval.decision == "rejected"
	gov.bound(approval)
	blocking := gov.roles_of(approval) & {r | some r in gov.requirement.required_roles}
	count(blocking) > 0
	what := sprintf("rejects the change as %s, a role this release requires", [concat(", ", sort(blocking))])
}

deny contains finding(approval, what) if {
	lib.param("require_signed_approvals")
	some approval in gov.approvals
	not object.get(approval, "verified", false)
	what := sprintf("is not signed by a configured key%s", [reason(approval)])
}

warn contains finding(approval, what) if {
	not lib.param("require_signed_approvals")
	some approval in gov.approvals
	object.get(approval, "signed", false)
	not object.get(approval, "verified", false)
	what := sprintf("carries a signature that does not verify%s", [reason(approval)])
}

reason(approval) := sprintf(" (%s)", [approval.verification_error]) if {
	not gov.blank(object.get(approval, "verification_error", null))
} else := ""
