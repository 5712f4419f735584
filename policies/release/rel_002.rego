# METADATA
# title: Change record linked and approved
# description: >-
#   The release manifest names its change record, the bundle holds that record, the record
#   covers exactly this release and version, and its status says it was approved (an
#   emergency release: emergency-approved). A deployment without an approved change is an
#   unauthorized change.
# custom:
#   id: GC-REL-002
#   severity: critical
#   remediation: >-
#     Set `change_id` in the release manifest, add the change record
#     (`gatecheck bundle add change.yaml`) and have it approved for this release and version.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3]
#   evidence: [release-manifest, change-record]
#   params: [change_approved_statuses]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rel_002

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

statuses := object.get(lib.param("change_approved_statuses"), gov.release_class, lib.param("change_approved_statuses")["default"])

deny contains result if {
	gov.blank(gov.release_change_id)
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest names no change record (change_id)",
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	not gov.blank(gov.release_change_id)
	count(gov.linked_change_records) == 0
	others := [cr.id | some cr in lib.evidence("change_record")]
	result := lib.result(
		rego.metadata.chain(),
		sprintf("change record %s is not in the bundle%s", [gov.release_change_id, found_text(others)]),
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	count(gov.linked_change_records) > 1
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the bundle holds %d change records with id %s; keep the current one", [count(gov.linked_change_records), gov.release_change_id]),
		[lib.ref(cr) | some cr in gov.linked_change_records],
	)
}

deny contains result if {
	some cr in gov.linked_change_records
	[cr.release.name, cr.release.version] != [input.release.name, input.release.version]
	result := lib.result(
		rego.metadata.chain(),
		sprintf("change record %s covers %s %s, not this release %s %s", [cr.id, cr.release.name, cr.release.version, input.release.name, input.release.version]),
		[gov.field_ref(cr, "/release")],
	)
}

deny contains result if {
	some cr in gov.linked_change_records
	not cr.status in statuses
	result := lib.result(
		rego.metadata.chain(),
		sprintf("change record %s has status %q; a %v release needs %v", [cr.id, cr.status, gov.release_class, statuses]),
		[gov.field_ref(cr, "/status")],
	)
}

found_text(ids) := "" if count(ids) == 0

found_text(ids) := sprintf(" (it holds %s)", [concat(", ", ids)]) if count(ids) > 0
