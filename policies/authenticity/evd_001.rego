# METADATA
# title: Evidence vouched for by authorized producers
# description: >-
#   At a stage that requires authenticated evidence, every evidence file in the bundle is an
#   attestation signed by an identity the trust policy authorizes for its evidence type (a
#   person, for an approval they signed themselves), bound to this release's artifacts and made
#   no later than the effective time. Whoever assembles a bundle can write or re-seal any file,
#   so a file nobody authorized vouched for is not a fact: its facts are excluded, the controls
#   that needed them fail for want of them, and this control lists the file and why.
# custom:
#   id: GC-EVD-001
#   severity: critical
#   remediation: >-
#     Have each file's producer sign it (`gatecheck attest FILE --type T --sign-key KEY`, or
#     `cosign attest`) with an identity the trust policy (`trust.producers`) authorizes for that
#     evidence type, with the release's artifacts as subjects; approvers sign their own
#     approvals (`gatecheck approve`). Not waivable.
#   frameworks:
#     soc2: [CC8.1, CC6.1]
#     iso27001: [A.8.32, A.5.33]
#     nist-800-53: [SR-4, SI-7, AU-10]
#     slsa: [v1.0 verification]
#   evidence: [all]
#   params: [require_authenticated_evidence]
#   stages:
#     production: fail
#     post-deploy: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.evd_001

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

unauthenticated contains file if {
	some file in object.get(input, ["authenticity", "evidence"], [])
	file.authenticated != true
}

deny contains result if {
	lib.param("require_authenticated_evidence") == true
	some file in unauthenticated
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s evidence %s (%s) is not vouched for by an authorized producer: %s; its facts were excluded", [file.type, file.name, file.path, file.reason]),
		[{"path": file.path, "pointer": ""}],
	)
}

# Where authentication is not required the facts count; the report still says which.
warn contains result if {
	lib.param("require_authenticated_evidence") != true
	some file in unauthenticated
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s evidence %s (%s) is unauthenticated: %s", [file.type, file.name, file.path, file.reason]),
		[{"path": file.path, "pointer": ""}],
	)
}

# A stage that requires authentication with no record of what was authenticated cannot pass.
deny contains result if {
	lib.param("require_authenticated_evidence") == true
	not input.authenticity
	result := lib.result(
		rego.metadata.chain(),
		"the input carries no authenticity record, so no evidence can be counted as authenticated",
		[],
	)
}
