# METADATA
# title: Rollback tested in staging
# description: >-
#   A major release's rollback was rehearsed in an environment of
#   `rollback_test_environments` (staging) and the newest rehearsal for this release passed.
# custom:
#   id: GC-RBK-003
#   severity: high
#   remediation: >-
#     Deploy the release to staging, roll it back with the runbook, check the service, and
#     add the record (`kind: RollbackTest`, naming this release).
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CM-4, CP-4]
#   evidence: [rollback-test, release-manifest]
#   params: [rollback_test_environments]
#   applicability: [release-manifest/class]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rbk_003

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

rehearsals := [t |
	some t in lib.evidence("rollback_test")
	t.environment in lib.param("rollback_test_environments")
	lc.for_this_release(t)
]

not_applicable contains sprintf("a %s release: only major releases must rehearse their rollback", [lc.release_class]) if not lc.major

deny contains result if {
	lc.major
	count(rehearsals) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the rollback of major release %s was not exercised in %v", [lc.release.version, lib.param("rollback_test_environments")]),
		[lib.ref(t) | some t in lib.evidence("rollback_test")],
	)
}

deny contains result if {
	lc.major
	some t in lc.newest(rehearsals, "performed_at")
	t.result != "passed"
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the rollback rehearsal in %s at %s has result %q", [t.environment, t.performed_at, t.result]),
		[lc.field_ref(t, "/result")],
	)
}
