package gatecheck.controls.chg_006_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.chg_006

now_ns := 1795773600000000000

event(i, action, details) := object.union(
	object.union(facts.empty.audit_event, {"index": i, "actor": "release-bot", "time": "2026-11-27T07:21:30Z", "action": action, "pointer": sprintf("/events/%d", [i])}),
	details,
)

# An intact audit log as evidence/records/lifecycle.py writes it, with `overrides`.
audit_log(overrides) := object.union(log, {"event_count": count(log.events)}) if {
	log := object.union(
		object.union(facts.empty.pipeline_audit_log, {
			"pipeline": "release.yml",
			"run_id": "9412",
			"release": {"name": "payments-api", "version": "1.4.0"},
			"events": [
				event(0, "pipeline.started", {}),
				event(1, "deploy.staging", {"change_id": "CHG1", "environment": "staging"}),
			],
			"hash_algorithm": "sha256",
			"chain_valid": true,
			"head_hash": "9f2c4e51a1c0d7b3e8f6a2d4c1b0e9f8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2",
			"pointer": "",
			"source": {"path": "evidence/audit.json"},
		}),
		overrides,
	)
}

run(release, logs) := {
	"stage": "production",
	"effective_time_ns": now_ns,
	"release": release,
	"evidence": {"pipeline_audit_log": logs},
}

release := object.union(facts.empty.release, {"name": "payments-api", "version": "1.4.0", "change_id": "CHG1", "source": {"path": "evidence/r.json"}})

test_deployment_naming_the_change_passes if {
	count(chg_006.deny) == 0 with input as run(release, [audit_log({})])
}

test_plain_deploy_action_counts if {
	count(chg_006.deny) == 0 with input as run(release, [audit_log({"events": [event(0, "deploy", {"change_id": "CHG1"})]})])
}

test_deployment_naming_another_change_fails if {
	log := audit_log({"events": [
		event(0, "deploy.staging", {"change_id": "CHG1"}),
		event(1, "deploy.production", {"change_id": "CHG2"}),
	]})
	some r in chg_006.deny with input as run(release, [log])
	contains(r.msg, `deployment event 1 (deploy.production at 2026-11-27T07:21:30Z) names change "CHG2", not "CHG1"`)
	r.evidence[0].pointer == "/events/1"
}

test_deployment_naming_no_change_fails if {
	log := audit_log({"events": [
		event(0, "deploy.staging", {"change_id": "CHG1"}),
		event(1, "deploy.production", {}),
	]})
	some r in chg_006.deny with input as run(release, [log])
	contains(r.msg, "names change none")
}

test_no_deployment_event_fails if {
	some r in chg_006.deny with input as run(release, [audit_log({"events": [event(0, "pipeline.started", {"change_id": "CHG1"})]})])
	contains(r.msg, "no deployment event")
}

test_deployer_action_is_not_a_deployment if {
	count(chg_006.deny) == 1 with input as run(release, [audit_log({"events": [event(0, "deployer.changed", {"change_id": "CHG1"})]})])
}

test_no_audit_log_fails if {
	count(chg_006.deny) == 1 with input as run(release, [])
}

test_log_of_another_release_does_not_count if {
	count(chg_006.deny) == 1 with input as run(release, [audit_log({"release": {"name": "payments-api", "version": "1.3.2"}})])
}

test_log_naming_no_release_does_not_count if {
	count(chg_006.deny) == 1 with input as run(release, [audit_log({"release": null})])
}

test_deployment_dated_after_the_effective_time_does_not_count if {
	log := audit_log({"events": [event(0, "deploy.staging", {"change_id": "CHG1", "time": "2026-11-28T07:00:00Z"})]})
	count(chg_006.deny) == 1 with input as run(release, [log])
}

test_release_without_change_id_fails if {
	some r in chg_006.deny with input as run(object.union(release, {"change_id": null}), [audit_log({})])
	contains(r.msg, "names no change id")
}
