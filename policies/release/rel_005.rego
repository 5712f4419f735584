# METADATA
# title: Regulated components passed compliance checkpoint
# description: >-
#   A component that handles regulated data (tagged pii, pci, phi or sox) goes out only with
#   a compliance approval for this release, by someone holding a role in `compliance_roles`,
#   and with an attestation that its audit logging is switched on.
# custom:
#   id: GC-REL-005
#   severity: critical
#   remediation: >-
#     Get the release approved by a compliance role (an approval of type `compliance`), and
#     record `audit_logging` (enabled, attested_by) on each regulated artifact in the release
#     manifest.
#   frameworks:
#     soc2: [CC8.1, CC7.2]
#     iso27001: [A.5.34, A.8.15, A.8.32]
#     nist-800-53: [CM-3, AU-2, AU-12]
#   evidence: [release-manifest, approval]
#   params:
#     - regulated_tags
#     - compliance_roles
#     - approver_roles
#     - identity_aliases
#     - approval_max_age_days
#     - require_signed_approvals
#   applicability: [release-manifest/artifacts, release-manifest/artifacts/regulated]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rel_005

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

regulated_tags := {lower(t) | some t in lib.param("regulated_tags")}

tags(artifact) := {lower(t) | some t in object.get(artifact, "regulated", [])} & regulated_tags

regulated contains [i, artifact] if {
	some i, artifact in object.get(input.release, "artifacts", [])
	count(tags(artifact)) > 0
}

compliance_roles := {r | some r in lib.param("compliance_roles")}

compliance_approvals := [a |
	some a in gov.approvals
	gov.valid_approval(a)
	count(gov.roles_of(a) & compliance_roles) > 0
]

not_applicable contains "no artifact of the release is tagged with a regulated data class" if count(regulated) == 0

deny contains result if {
	count(regulated) > 0
	count(compliance_approvals) == 0
	names := sort([a.name | some [_, a] in regulated])
	result := lib.result(
		rego.metadata.chain(),
		sprintf("regulated component(s) %s lack a valid approval by a compliance role %v", [concat(", ", names), sort(compliance_roles)]),
		array.concat([lib.release_ref(sprintf("/artifacts/%d/regulated", [i])) | some [i, _] in regulated], [lib.ref(a) | some a in gov.approvals]),
	)
}

deny contains result if {
	some [i, artifact] in regulated
	attestation := object.get(artifact, "audit_logging", null)
	problem := audit_problem(attestation)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("regulated component %s (%s) %s", [artifact.name, concat(", ", sort(tags(artifact))), problem]),
		[lib.release_ref(sprintf("/artifacts/%d/audit_logging", [i]))],
		{"artifact": artifact.name},
	)
}

audit_problem(attestation) := "has no audit-logging attestation" if attestation == null

audit_problem(attestation) := "has audit logging switched off" if {
	attestation != null
	attestation.enabled != true
}

audit_problem(attestation) := "has an audit-logging attestation that names no attestor" if {
	attestation != null
	attestation.enabled == true
	gov.blank(object.get(attestation, "attested_by", null))
}
