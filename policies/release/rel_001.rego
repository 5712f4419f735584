# METADATA
# title: Release is classified
# description: >-
#   The release manifest states the release class (standard, major or emergency), which
#   decides the approvals, tests and reviews every later control asks for.
# custom:
#   id: GC-REL-001
#   severity: high
#   remediation: >-
#     Set `class` in the release manifest to one of the allowed classes
#     (`gatecheck bundle init --class` or the manifest file).
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3]
#   evidence: [release-manifest]
#   params: [release_classes]
#   stages:
#     production: fail
#     staging: fail
#     dev: fail
package gatecheck.controls.rel_001

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

deny contains result if {
	object.get(input.release, "class", null) == null
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest does not state a release class",
		[lib.release_ref("/class")],
	)
}

deny contains result if {
	class := input.release.class
	class != null
	not class in lib.param("release_classes")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("release class %q is not one of %v", [class, lib.param("release_classes")]),
		[lib.release_ref("/class")],
	)
}
