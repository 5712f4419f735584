package gatecheck.controls.pipe_005_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.pipe_005

# 2026-11-27T10:00:00Z
now_ns := 1795773600000000000

release := object.union(facts.empty.release, {
	"name": "payments-api", "version": "1.4.0",
	"deployment": object.union(facts.empty.deployment, {"environment": "production"}),
	"source": {"path": "evidence/r.json"},
})

# The audit log of run 9412 of this release, as evidence/records/lifecycle.py writes it.
audit_log := object.union(facts.empty.pipeline_audit_log, {
	"pipeline": "release.yml",
	"run_id": "9412",
	"release": {"name": "payments-api", "version": "1.4.0"},
	"event_count": 0,
	"events": [],
	"hash_algorithm": "sha256",
	"chain_valid": true,
	"pointer": "",
	"source": {"path": "evidence/audit.json"},
})

lock(overrides) := object.union(
	object.union(facts.empty.deployment_lock, {
		"environment": "production",
		"holder": {"run_id": "9412", "pipeline": "release.yml", "release": {"name": "payments-api", "version": "1.4.0"}},
		"acquired_at": "2026-11-27T07:40:00Z",
		"expires_at": "2026-11-27T12:00:00Z",
		"pointer": "/locks/0",
		"source": {"path": "evidence/locks.json"},
	}),
	overrides,
)

other(overrides) := lock(object.union({"holder": {"run_id": "9377", "release": {"name": "payments-api", "version": "1.3.3"}}}, overrides))

run(locks, logs) := {
	"stage": "production",
	"effective_time_ns": now_ns,
	"release": release,
	"evidence": {"deployment_lock": locks, "pipeline_audit_log": logs},
}

test_lock_held_by_this_run_passes if {
	count(pipe_005.deny) == 0 with input as run([lock({})], [audit_log])
}

test_earlier_lock_released_before_ours_passes if {
	earlier := other({"acquired_at": "2026-11-26T10:00:00Z", "released_at": "2026-11-26T11:00:00Z"})
	count(pipe_005.deny) == 0 with input as run([lock({}), earlier], [audit_log])
}

test_open_ended_lock_is_held if {
	count(pipe_005.deny) == 0 with input as run([object.union(lock({}), {"expires_at": null})], [audit_log])
}

test_no_lock_fails if {
	some r in pipe_005.deny with input as run([], [audit_log])
	contains(r.msg, "no deployment lock on production is held at the effective time by this release's pipeline run (9412)")
}

test_lock_on_another_environment_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"environment": "staging"})], [audit_log])
}

test_expired_lock_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"expires_at": "2026-11-27T09:00:00Z"})], [audit_log])
}

test_released_lock_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"released_at": "2026-11-27T09:30:00Z"})], [audit_log])
}

test_lock_acquired_after_the_effective_time_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"acquired_at": "2026-11-27T10:30:00Z"})], [audit_log])
}

test_lock_without_acquired_at_fails if {
	count(pipe_005.deny) == 1 with input as run([object.union(lock({}), {"acquired_at": null})], [audit_log])
}

test_lock_of_another_run_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"holder": {"run_id": "9377"}})], [audit_log])
}

test_lock_without_holder_fails if {
	count(pipe_005.deny) == 1 with input as run([object.union(lock({}), {"holder": null})], [audit_log])
}

test_lock_of_this_run_for_another_release_fails if {
	count(pipe_005.deny) == 1 with input as run([lock({"holder": {"release": {"name": "payments-api", "version": "1.3.3"}}})], [audit_log])
}

test_without_an_audit_log_naming_this_release_the_run_is_unknown if {
	some r in pipe_005.deny with input as run([lock({})], [object.union(audit_log, {"release": null})])
	contains(r.msg, "no audit log names this release's run")
}

test_overlapping_lock_of_another_run_fails if {
	overlapping := other({"acquired_at": "2026-11-27T09:00:00Z", "expires_at": "2026-11-27T11:00:00Z"})
	some r in pipe_005.deny with input as run([lock({}), overlapping], [audit_log])
	contains(r.msg, "held by run 9377 (2026-11-27T09:00:00Z..2026-11-27T11:00:00Z) overlaps this release's lock")
}

test_open_ended_lock_of_another_run_overlaps if {
	overlapping := object.union(other({"acquired_at": "2026-11-20T09:00:00Z"}), {"expires_at": null})
	count(pipe_005.deny) == 1 with input as run([lock({}), overlapping], [audit_log])
}

test_other_lock_without_acquired_at_fails if {
	unknown := object.union(other({}), {"acquired_at": null})
	some r in pipe_005.deny with input as run([lock({}), unknown], [audit_log])
	contains(r.msg, "has no acquired_at")
}

test_target_environment_from_the_stage_when_the_manifest_names_none if {
	bare := object.union(release, {"deployment": null})
	count(pipe_005.deny) == 0 with input as object.union(object.remove(run([lock({})], [audit_log]), ["release"]), {"release": bare})
	count(pipe_005.deny) == 1 with input as object.union(object.remove(run([lock({})], [audit_log]), ["release"]), {"release": bare, "stage": "staging"})
}
