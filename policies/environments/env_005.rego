# METADATA
# title: Network segmentation validated
# description: >-
#   The target environment's network segmentation was tested within
#   `segmentation_max_age_days` and the newest test passed: every probe saw the traffic it
#   expected to be allowed or denied.
# custom:
#   id: GC-ENV-005
#   severity: medium
#   remediation: >-
#     Run the segmentation test suite against the target environment, fix the paths that are
#     open but should be closed, and add the result (`kind: SegmentationTest`) to the bundle.
#   frameworks:
#     soc2: [CC6.6, CC8.1]
#     iso27001: [A.8.20, A.8.22]
#     nist-800-53: [SC-7, CA-2]
#   evidence: [segmentation-test, release-manifest]
#   params: [segmentation_max_age_days, stage_environments]
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.env_005

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

env := lc.target_environment

tests := [t | some t in lib.evidence("segmentation_test"); t.environment == env]

newest := lc.newest(tests, "performed_at")

deny contains result if {
	count(tests) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no network segmentation test of environment %s", [env]),
		[lib.ref(t) | some t in lib.evidence("segmentation_test")],
	)
}

deny contains result if {
	some t in newest
	t.result != "passed"
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the newest segmentation test of %s (%s) has result %q", [env, t.performed_at, t.result]),
		[lc.field_ref(t, "/result")],
	)
}

deny contains result if {
	some t in newest
	failed := [i | some i, check in t.checks; check.expected != check.observed]
	count(failed) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s of the segmentation test of %s saw other traffic than expected: %s", [
			lc.plural(count(failed), "probe"), env,
			concat(", ", [sprintf("%s -> %s port %v expected %s, observed %s", [c.from, c.to, c.port, c.expected, c.observed]) |
				some i in failed
				c := t.checks[i]
			]),
		]),
		[lc.field_ref(t, sprintf("/checks/%d", [i])) | some i in failed],
	)
}

deny contains result if {
	some t in newest
	days := lc.age_days(t.performed_at)
	days > lib.param("segmentation_max_age_days")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the newest segmentation test of %s is %d days old (limit %d days)", [env, days, lib.param("segmentation_max_age_days")]),
		[lc.field_ref(t, "/performed_at")],
	)
}
