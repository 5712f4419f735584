# METADATA
# title: Feature freeze honoured
# description: >-
#   Every change the release includes was merged before the release's feature freeze, unless
#   a freeze exception for that change was approved (an approval of a kind in
#   `freeze_exception_kinds` naming the change, bound to this release and current, by a
#   person holding a role in `freeze_exception_roles`). The release manifest must give the
#   freeze time and every included change with its merge time: without them nothing shows the
#   freeze was kept.
# custom:
#   id: GC-REL-006
#   severity: high
#   remediation: >-
#     Record `feature_freeze` and `changes` (id and `merged_at` of each change) in the release
#     manifest; for a change merged after the freeze, have a person with a role in
#     `freeze_exception_roles` approve a `freeze-exception` naming the change (`changes: [ID]`),
#     or take the change out of the release.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CM-4]
#   evidence: [release-manifest, approval]
#   params: [freeze_exception_kinds, freeze_exception_roles, approval_max_age_days, require_signed_approvals, approver_roles, identity_aliases]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rel_006

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

freeze := lc.get(input.release, "feature_freeze", null)

changes := lc.get(input.release, "changes", [])

release_label := sprintf("%s %s", [input.release.name, input.release.version])

deny contains result if {
	not is_string(freeze)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the release manifest of %s gives no feature_freeze time", [release_label]),
		[lib.release_ref("")],
	)
}

deny contains result if {
	count(changes) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the release manifest of %s lists no included changes (changes[] with merged_at)", [release_label]),
		[lib.release_ref("")],
	)
}

deny contains result if {
	some i, change in changes
	not is_string(lc.get(change, "merged_at", null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("included change %s has no merged_at time", [change.id]),
		[lib.release_ref(sprintf("/changes/%d", [i]))],
	)
}

deny contains result if {
	some i, change in changes
	is_string(lc.get(change, "merged_at", null))
	lc.ns(change.merged_at) > input.effective_time_ns
	result := lib.result(
		rego.metadata.chain(),
		sprintf("included change %s is merged at %s, after the effective time", [change.id, change.merged_at]),
		[lib.release_ref(sprintf("/changes/%d/merged_at", [i]))],
	)
}

deny contains result if {
	is_string(freeze)
	some i, change in changes
	is_string(lc.get(change, "merged_at", null))
	lc.ns(change.merged_at) > lc.ns(freeze)
	not excepted(change.id)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("change %s was merged at %s, after the feature freeze at %s, without an approved freeze exception by a role in %v", [change.id, change.merged_at, freeze, lib.param("freeze_exception_roles")]),
		array.concat(
			[lib.release_ref(sprintf("/changes/%d/merged_at", [i]))],
			[lib.ref(a) | some a in exception_approvals],
		),
	)
}

exception_approvals := [a |
	some a in gov.approvals
	object.get(a, "kind", null) in lib.param("freeze_exception_kinds")
]

# A valid approval (approved, by an established person, bound to this release, current) of a
# freeze-exception kind that names the change, by a person in one of freeze_exception_roles.
excepted(change_id) if {
	some a in exception_approvals
	gov.valid_approval(a)
	change_id in object.get(a, "changes", [])
	some role in gov.roles_of(a)
	role in lib.param("freeze_exception_roles")
}
