package gatecheck.controls.env_003_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.env_003

commit := "4f1c2e9a0b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e"

snapshot(overrides) := object.union(
	object.union(facts.empty.environment_snapshot, {
		"environment": "production",
		"kind": "permanent",
		"parity": {},
		"iac": {"repo": "https://git.example.org/infra/payments", "commit": commit, "path": "envs/prod"},
		"drift_detected": false,
		"captured_at": "2026-03-01T08:00:00Z",
		"pointer": "",
		"source": {"path": "evidence/env.json"},
	}),
	overrides,
)

run(snapshots, stage, deployment) := {
	"stage": stage,
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "deployment": deployment, "source": {"path": "evidence/r.json"}}),
	"evidence": {"environment_snapshot": snapshots},
}

test_pinned_environment_without_drift_passes if {
	count(env_003.deny) == 0 with input as run([snapshot({})], "production", null)
}

test_target_environment_comes_from_deployment if {
	snap := snapshot({"environment": "prod-eu"})
	count(env_003.deny) == 0 with input as run([snap], "production", object.union(facts.empty.deployment, {"environment": "prod-eu"}))
	some r in env_003.deny with input as run([snap], "production", null)
	contains(r.msg, "target environment production")
}

test_missing_snapshot_fails if {
	some r in env_003.deny with input as run([snapshot({"environment": "staging"})], "production", null)
	contains(r.msg, "no environment snapshot")
}

test_missing_iac_source_fails if {
	some r in env_003.deny with input as run([snapshot({"iac": null})], "production", null)
	contains(r.msg, "no IaC source repo and commit")
}

test_branch_instead_of_commit_fails if {
	snap := snapshot({"iac": {"repo": "https://git.example.org/infra/payments", "commit": "main"}})
	some r in env_003.deny with input as run([snap], "production", null)
	contains(r.msg, "not a full commit id")
}

test_drift_fails if {
	some r in env_003.deny with input as run([snapshot({"drift_detected": true})], "production", null)
	contains(r.msg, "drift detected")
	r.evidence[0].pointer == "/drift_detected"
}

test_unchecked_drift_fails if {
	some r in env_003.deny with input as run([snapshot({"drift_detected": null})], "production", null)
	contains(r.msg, "does not say whether drift was checked")
}

test_newest_snapshot_decides if {
	old := snapshot({"drift_detected": true, "captured_at": "2026-02-01T08:00:00Z"})
	count(env_003.deny) == 0 with input as run([old, snapshot({})], "production", null)
}
