# METADATA
# title: Emergency change documented
# description: >-
#   An emergency change skips the usual lead time, so its record must say why it could not
#   wait (justification), which incident it answers (incident reference) and when the
#   post-mortem is due, no later than `postmortem_due_days` after the deployment.
# custom:
#   id: GC-CHG-003
#   severity: high
#   remediation: >-
#     Fill in the change record's `emergency` section: `justification`, `incident_ref` and a
#     `postmortem_due` date within the allowed number of days.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32, A.5.26]
#     nist-800-53: [CM-3, IR-4]
#   evidence: [change-record, release-manifest]
#   params: [postmortem_due_days]
#   applicability: [release-manifest/class]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_003

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

required_fields := {
	"justification": "justification",
	"incident_ref": "incident reference",
	"postmortem_due": "post-mortem due date",
}

emergency_section := object.get(gov.change_record, "emergency", null)

not_applicable contains "the release is not an emergency change" if not gov.emergency

deny contains result if {
	gov.emergency
	not gov.change_record
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency release without its change record %v", [gov.release_change_id]),
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	gov.emergency
	emergency_section == null
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency change %s has no emergency section (justification, incident, post-mortem)", [gov.change_record.id]),
		[gov.field_ref(gov.change_record, "/emergency")],
	)
}

deny contains result if {
	gov.emergency
	emergency_section != null
	some field, what in required_fields
	gov.blank(object.get(emergency_section, field, null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency change %s has no %s (emergency.%s)", [gov.change_record.id, what, field]),
		[gov.field_ref(gov.change_record, sprintf("/emergency/%s", [field]))],
	)
}

deny contains result if {
	gov.emergency
	due := emergency_section.postmortem_due
	not gov.blank(due)
	days := lib.param("postmortem_due_days")
	not gov.within_days(due, days)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("emergency change %s has its post-mortem due %s, more than %d days after %s", [gov.change_record.id, due, days, input.effective_time]),
		[gov.field_ref(gov.change_record, "/emergency/postmortem_due")],
	)
}
