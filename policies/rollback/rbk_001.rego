# METADATA
# title: Rollback runbook exists
# description: >-
#   A rollback runbook exists for the release's deployment strategy (or for any strategy,
#   `deployment_type: "*"`) in the target environment, and it was reviewed within
#   `runbook_max_age_days`. A release that does not state its deployment strategy cannot be
#   matched to a runbook.
# custom:
#   id: GC-RBK-001
#   severity: high
#   remediation: >-
#     Write or review the rollback runbook for this deployment type and environment and add
#     its record (`kind: Runbook`, `reviewed_at`) to the bundle.
#   frameworks:
#     soc2: [CC7.4, CC8.1]
#     iso27001: [A.5.37, A.8.32]
#     nist-800-53: [CM-3, CP-2]
#   evidence: [runbook, release-manifest]
#   params: [runbook_max_age_days, stage_environments]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rbk_001

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

env := lc.target_environment

max_age := lib.param("runbook_max_age_days")

matching := [r |
	some r in lib.evidence("runbook")
	r.environment == env
	r.deployment_type in {lc.strategy, "*"}
]

current := [r |
	some r in matching
	is_string(r.reviewed_at)
	lc.ns(r.reviewed_at) <= input.effective_time_ns
	lc.age_days(r.reviewed_at) <= max_age
]

deny contains result if {
	lc.blank(lc.strategy)
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest does not state its deployment strategy, so no rollback runbook can be matched",
		[lib.release_ref("/deployment/strategy")],
	)
}

deny contains result if {
	lc.present(lc.strategy)
	count(matching) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no rollback runbook for %s deployments in %s", [lc.strategy, env]),
		[lib.ref(r) | some r in lib.evidence("runbook")],
	)
}

deny contains result if {
	count(matching) > 0
	count(current) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the rollback runbook for %s deployments in %s was not reviewed within %d days (%s)", [lc.strategy, env, max_age, concat("; ", [review_state(r) | some r in matching])]),
		[lc.field_ref(r, "/reviewed_at") | some r in matching],
	)
}

review_state(r) := sprintf("%s: last reviewed %s", [title(r), r.reviewed_at]) if {
	is_string(r.reviewed_at)
} else := sprintf("%s: never reviewed", [title(r)])

title(r) := r.title if lc.present(object.get(r, "title", null))

else := object.get(object.get(r, "source", {}), "name", "runbook")
