# METADATA
# title: Separation of duties
# description: >-
#   Nobody approves their own change, and nobody deploys a change they wrote alone: an
#   approver must not be the change's author or requester, the deployment initiator must not
#   be its only author, and the initiator must hold a deployment role. Identities are the
#   directory's persons (compared case-insensitively after `identity_aliases`). A review of a
#   source commit (GitHub pull-request reviews) approves that commit only: it must be the one
#   the build provenance says was built.
# custom:
#   id: GC-CHG-002
#   severity: high
#   remediation: >-
#     Have the change approved by someone who did not write or request it, and deployed by
#     someone (or a pipeline identity) holding one of `deploy_roles` who is not its only
#     author.
#   frameworks:
#     soc2: [CC8.1, CC6.1]
#     iso27001: [A.5.3, A.8.32]
#     nist-800-53: [AC-5, CM-5]
#   evidence: [approval, change-record, release-manifest, provenance]
#   params: [deploy_roles, approver_roles, identity_aliases]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_002

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

authors := {gov.identity(a) | some a in gov.change_record.authors}

requester := gov.identity(gov.change_record.requester) if not gov.blank(gov.change_record.requester)

deployment := gov.section(input.release, "deployment")

initiator := object.get(deployment, "initiator", null)

deny contains result if {
	not gov.change_record
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no change record %v in the bundle, so authors and requester are unknown", [gov.release_change_id]),
		[lib.release_ref("/change_id")],
	)
}

deny contains result if {
	gov.change_record
	count(authors) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("change record %s lists no authors", [gov.change_record.id]),
		[gov.field_ref(gov.change_record, "/authors")],
	)
}

deny contains result if {
	some approval in gov.approvals
	approval.decision == "approved"
	who := gov.identity(approval.approver)
	who in authors
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s approved change %s that they authored", [approval.approver, gov.change_record.id]),
		[lib.ref(approval), gov.field_ref(gov.change_record, "/authors")],
	)
}

deny contains result if {
	some approval in gov.approvals
	approval.decision == "approved"
	gov.identity(approval.approver) == requester
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s approved change %s that they requested", [approval.approver, gov.change_record.id]),
		[lib.ref(approval), gov.field_ref(gov.change_record, "/requester")],
	)
}

deny contains result if {
	gov.blank(initiator)
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest names no deployment initiator",
		[lib.release_ref("/deployment/initiator")],
	)
}

deny contains result if {
	not gov.blank(initiator)
	authors == {gov.identity(initiator)}
	result := lib.result(
		rego.metadata.chain(),
		sprintf("deployment initiator %s is the only author of change %s", [initiator, gov.change_record.id]),
		[lib.release_ref("/deployment/initiator"), gov.field_ref(gov.change_record, "/authors")],
	)
}

deny contains result if {
	not gov.blank(initiator)
	declared := {r | some r in object.get(deployment, "initiator_roles", [])}
	roles := declared | gov.directory_roles(initiator)
	count(roles & {r | some r in lib.param("deploy_roles")}) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("deployment initiator %s holds none of the deployment roles %v", [initiator, lib.param("deploy_roles")]),
		[lib.release_ref("/deployment/initiator_roles")],
	)
}

# Source commits the build provenance says were built.
built_commits := {lower(commit) |
	some p in lib.evidence("provenance")
	commit := object.get(p, ["build_source", "commit"], null)
	is_string(commit)
}

deny contains result if {
	some approval in gov.approvals
	approval.decision == "approved"
	commit := object.get(approval, "commit_id", null)
	is_string(commit)
	not lower(commit) in built_commits
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s approved source commit %s, but the build provenance names %v as built", [approval.approver, commit, sort(built_commits)]),
		[lib.ref(approval)],
	)
}
