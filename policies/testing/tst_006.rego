# METADATA
# title: UAT signed off
# description: >-
#   A major release carries a user-acceptance sign-off: an approval of kind `uat` for this
#   release version, decided before the effective time by someone holding a role in
#   `business_roles` (in the trust directory or the `approver_roles` data). A UAT
#   rejection of this version by a business role fails the control even when another
#   sign-off exists.
# custom:
#   id: GC-TST-006
#   severity: medium
#   remediation: >-
#     Have the business owner sign off user-acceptance testing of this version and add the
#     approval (`type: uat`, `release_version`) to the bundle.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29, A.8.32]
#     nist-800-53: [SA-11, CM-3]
#   evidence: [approval, release-manifest]
#   params: [business_roles, approver_roles, identity_aliases]
#   applicability: [release-manifest/class]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_006

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

uat := [a |
	some a in lib.evidence("approval")
	object.get(a, "kind", "change") == "uat"
	object.get(a, "release_version", null) == lc.release.version
]

business(a) if {
	gov.established(a)
	some role in gov.roles_of(a)
	role in lib.param("business_roles")
}

signoffs := [a |
	some a in uat
	a.decision == "approved"
	business(a)
	lc.ns(a.time) <= input.effective_time_ns
]

not_applicable contains sprintf("a %s release: only major releases need a UAT sign-off", [lc.release_class]) if not lc.major

deny contains result if {
	lc.major
	count(signoffs) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("major release %s without a UAT sign-off by a role in %v (%d UAT approval(s) for this version)", [lc.release.version, lib.param("business_roles"), count(uat)]),
		[lib.ref(a) | some a in uat],
	)
}

deny contains result if {
	lc.major
	some a in uat
	a.decision == "rejected"
	business(a)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s rejected UAT of version %s at %s", [a.approver, lc.release.version, a.time]),
		[lib.ref(a)],
	)
}
