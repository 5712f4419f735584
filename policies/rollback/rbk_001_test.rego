package gatecheck.controls.rbk_001_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rbk_001

runbook(overrides) := object.union(
	object.union(facts.empty.runbook, {
		"title": "Payments canary rollback",
		"deployment_type": "canary",
		"environment": "production",
		"reviewed_at": "2026-01-10T09:00:00Z",
		"pointer": "",
		"source": {"path": "evidence/runbook.json", "name": "runbook.json"},
	}),
	overrides,
)

run(strategy, runbooks) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "2.4.0",
		"deployment": object.union(facts.empty.deployment, {"strategy": strategy}),
		"source": {"path": "evidence/r.json"},
	}),
	"evidence": {"runbook": runbooks},
}

test_reviewed_runbook_passes if {
	count(rbk_001.deny) == 0 with input as run("canary", [runbook({})])
}

test_generic_runbook_matches_any_strategy if {
	count(rbk_001.deny) == 0 with input as run("blue-green", [runbook({"deployment_type": "*"})])
}

test_runbook_for_other_strategy_fails if {
	some r in rbk_001.deny with input as run("blue-green", [runbook({})])
	r.msg == "no rollback runbook for blue-green deployments in production"
}

test_runbook_for_other_environment_fails if {
	some r in rbk_001.deny with input as run("canary", [runbook({"environment": "staging"})])
	contains(r.msg, "no rollback runbook")
}

test_stale_review_fails if {
	some r in rbk_001.deny with input as run("canary", [runbook({"reviewed_at": "2025-06-01T09:00:00Z"})])
	contains(r.msg, "not reviewed within 180 days (Payments canary rollback: last reviewed 2025-06-01T09:00:00Z)")
}

test_never_reviewed_fails if {
	some r in rbk_001.deny with input as run("canary", [runbook({"reviewed_at": null})])
	contains(r.msg, "never reviewed")
}

test_unknown_strategy_fails if {
	some r in rbk_001.deny with input as run(null, [runbook({})])
	contains(r.msg, "does not state its deployment strategy")
}
