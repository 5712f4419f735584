# METADATA
# title: Deployment linked to its change record
# description: >-
#   The release's pipeline audit log (a log naming this release) records its deployments
#   (actions in `deployment_actions`), and each names the change id of the release manifest.
#   A deployment naming another change, or none, is not covered by this release's change
#   record.
# custom:
#   id: GC-CHG-006
#   severity: high
#   remediation: >-
#     Have the pipeline write `details.change_id` (the release manifest's `change_id`) on every
#     deployment event and name the release (`release: {name, version}`) in its audit log.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CM-5, AU-10]
#   evidence: [pipeline-audit-log, release-manifest]
#   params: [deployment_actions]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_006

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc
import data.gatecheck.operations as ops

info := lib.control_info(rego.metadata.chain())

change_id := lc.get(input.release, "change_id", null)

release_label := sprintf("%s %s", [lc.release.name, lc.release.version])

linked := [d | some d in ops.deployment_events; lc.get(d.event, "change_id", null) == change_id]

deny contains result if {
	not lc.present(change_id)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the release manifest of %s names no change id to link its deployments to", [release_label]),
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	lc.present(change_id)
	count(linked) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no deployment event of %s's pipeline (actions %v, in an audit log naming this release) names change %s", [release_label, lib.param("deployment_actions"), change_id]),
		[lib.ref(l) | some l in lib.evidence("pipeline_audit_log")],
	)
}

deny contains result if {
	some d in ops.deployment_events
	named := lc.get(d.event, "change_id", null)
	named != change_id
	result := lib.result(
		rego.metadata.chain(),
		sprintf("deployment event %d (%s at %s) names change %s, not %s", [d.event.index, d.event.action, d.event.time, describe(named), describe(change_id)]),
		[lib.ref_at(d.log, d.event.pointer)],
	)
}

describe(value) := sprintf("%q", [value]) if is_string(value)

else := "none"
