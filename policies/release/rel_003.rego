# METADATA
# title: Components mapped to CMDB configuration items
# description: >-
#   Every artifact of the release names the CMDB configuration item (CI) it deploys as, so
#   incidents, changes and audits can be traced to what runs. When a CMDB export is in the
#   bundle, every named CI must exist in it.
# custom:
#   id: GC-REL-003
#   severity: medium
#   remediation: >-
#     Set `ci_id` on each artifact in the release manifest to its CMDB configuration item, and
#     add a current CMDB export (`gatecheck bundle add cmdb.json`) that contains those CIs.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.5.9, A.8.32]
#     nist-800-53: [CM-8, CM-3]
#   evidence: [release-manifest, cmdb-export]
#   params: [require_cmdb_export]
#   applicability: [release-manifest/artifacts]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rel_003

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

artifacts := object.get(input.release, "artifacts", [])

exports := lib.evidence("cmdb_export")

known_ids := {item.id | some export in exports; some item in export.items}

not_applicable contains "the release lists no artifacts" if count(artifacts) == 0

deny contains result if {
	some i, artifact in artifacts
	gov.blank(object.get(artifact, "ci_id", null))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s names no CMDB configuration item (ci_id)", [artifact.name]),
		[lib.release_ref(sprintf("/artifacts/%d/ci_id", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	count(exports) > 0
	some i, artifact in artifacts
	ci := object.get(artifact, "ci_id", null)
	not gov.blank(ci)
	not ci in known_ids
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s names CI %s, which the CMDB export does not contain", [artifact.name, ci]),
		array.concat([lib.release_ref(sprintf("/artifacts/%d/ci_id", [i]))], [lib.ref(e) | some e in exports]),
		{"artifact": artifact.name},
	)
}

deny contains result if {
	lib.param("require_cmdb_export")
	count(artifacts) > 0
	count(exports) == 0
	result := lib.result(
		rego.metadata.chain(),
		"no CMDB export in the bundle to check the configuration items against",
		[lib.release_ref("/artifacts")],
	)
}
