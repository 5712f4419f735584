# METADATA
# title: Approvals required by class and risk
# description: >-
#   A release carries the approvals its class and risk call for: distinct approvers up to the
#   quorum and every required role. The stricter of the class's and the risk's requirement
#   applies. A standard, low-risk change that follows a pre-approved template needs none and
#   is reported as auto-approved; an emergency change needs an emergency approver now and a
#   CAB review scheduled soon after.
# custom:
#   id: GC-CHG-001
#   severity: high
#   remediation: >-
#     Collect the missing approvals (`gatecheck bundle add approvals.yaml`) from approvers
#     holding the required roles, bound to this change id and release version; for an
#     emergency change, schedule the CAB review (`cab_review_due`) in the change record.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CM-3(4)]
#   evidence: [approval, change-record, release-manifest]
#   params:
#     - approval_requirements
#     - approval_requirements_by_risk
#     - risk_levels
#     - change_approval_kinds
#     - auto_approval_classes
#     - auto_approval_risks
#     - pre_approved_templates
#     - emergency_review_days
#     - approver_roles
#     - identity_aliases
#     - approval_max_age_days
#     - require_signed_approvals
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_001

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

# Read by gatecheck.main: the decision records `auto_approved: true` when this holds and
# every enforced control passes.
default auto_approval_eligible := false

auto_approval_eligible if gov.auto_approval_eligible

# What the report can say about the auto-approval, independent of `info`.
auto_approval := {
	"auto_approved": true,
	"change_id": gov.change_record.id,
	"template": gov.change_record.pre_approved_template,
	"class": gov.release_class,
	"risk": gov.release_risk,
} if gov.auto_approval_eligible

approvals := gov.change_approvals

approvers := gov.distinct_approvers(approvals)

approval_refs := [lib.ref(a) | some a in approvals]

deny contains result if {
	not gov.known_class
	result := lib.result(
		rego.metadata.chain(),
		sprintf("release class %s is not one of %v, so the approvals it needs are unknown", [json.marshal(gov.release_class), sort(object.keys(lib.param("approval_requirements")))]),
		[lib.release_ref("/class")],
	)
}

deny contains result if {
	not gov.known_risk
	result := lib.result(
		rego.metadata.chain(),
		sprintf("release risk %s is not one of %v, so the approvals it needs are unknown", [json.marshal(gov.release_risk), lib.param("risk_levels")]),
		[lib.release_ref("/risk")],
	)
}

deny contains result if {
	not gov.auto_approval_eligible
	needed := gov.requirement.min_approvers
	count(approvers) < needed
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s %s release needs %d distinct approver(s); %d valid approval(s) found%s", [
			gov.release_class, risk_text, needed, count(approvers), approver_text,
		]),
		array.concat([lib.release_ref("/class")], approval_refs),
	)
}

deny contains result if {
	not gov.auto_approval_eligible
	some role in gov.requirement.required_roles
	not role in gov.held_roles(approvals)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no valid approval by the required role %q for this %s %s release", [role, gov.release_class, risk_text]),
		array.concat([lib.release_ref("/class")], approval_refs),
	)
}

deny contains result if {
	gov.emergency
	not gov.change_record
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency release without its change record %v, so no CAB review is scheduled", [gov.release_change_id]),
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	gov.emergency
	gov.blank(object.get(gov.change_record, "cab_review_due", null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency change %s schedules no CAB review (cab_review_due)", [gov.change_record.id]),
		[gov.field_ref(gov.change_record, "/cab_review_due")],
	)
}

deny contains result if {
	gov.emergency
	due := gov.change_record.cab_review_due
	not gov.blank(due)
	days := lib.param("emergency_review_days")
	not gov.within_days(due, days)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency change %s has its CAB review due %s, more than %d days after %s", [gov.change_record.id, due, days, input.effective_time]),
		[gov.field_ref(gov.change_record, "/cab_review_due")],
	)
}

risk_text := sprintf("%v-risk", [gov.release_risk])

approver_text := "" if {
	count(approvers) == 0
} else := sprintf(" (%s)", [concat(", ", sort(approvers))])
