# METADATA
# title: Artifact naming convention
# description: >-
#   Artifact names follow the organisation's convention (`artifact_name_pattern`, a regular
#   expression matched against the whole name), so inventories, CMDB records and registries
#   can be matched to what is released. The default accepts lowercase registry-style names
#   such as `payments-api` or `ghcr.io/example-org/payments-api`. Advisory at every stage.
#   A release without artifacts is not applicable here (GC-ART-001 fails it).
# custom:
#   id: GC-ART-008
#   severity: low
#   remediation: >-
#     Rename the artifact to match `artifact_name_pattern`, or set the pattern your
#     organisation uses in the gatecheck configuration (`params.artifact_name_pattern`).
#   frameworks:
#     iso27001: [A.8.9]
#     nist-800-53: [CM-8]
#   evidence: [release-manifest]
#   params: [artifact_name_pattern]
#   applicability: [release-manifest/artifacts]
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.art_008

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

artifacts := object.get(input.release, "artifacts", [])

not_applicable contains "the release lists no artifacts (GC-ART-001 fails that)" if {
	count(artifacts) == 0
}

deny contains result if {
	pattern := lib.param("artifact_name_pattern")
	some i, artifact in artifacts
	not regex.match(pattern, artifact.name)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact name %q does not match artifact_name_pattern %s", [artifact.name, pattern]),
		[lib.release_ref(sprintf("/artifacts/%d/name", [i]))],
		{"artifact": artifact.name},
	)
}
