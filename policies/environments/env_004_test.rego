package gatecheck.controls.env_004_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.env_004

snapshot(overrides) := object.union(
	object.union(facts.empty.environment_snapshot, {
		"environment": "pr-1234",
		"kind": "ephemeral",
		"ttl_hours": 24,
		"created_at": "2026-03-01T08:00:00Z",
		"captured_at": "2026-03-01T10:00:00Z",
		"pointer": "",
		"source": {"path": "evidence/env.json"},
	}),
	overrides,
)

run(snapshots) := {
	"stage": "dev",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "source": {"path": "evidence/r.json"}}),
	"evidence": {"environment_snapshot": snapshots},
}

test_ephemeral_environment_within_ttl_passes if {
	count(env_004.deny) == 0 with input as run([snapshot({})])
	count(env_004.not_applicable) == 0 with input as run([snapshot({})])
}

test_missing_ttl_fails if {
	some r in env_004.deny with input as run([snapshot({"ttl_hours": null})])
	contains(r.msg, "has no TTL")
}

test_ttl_above_limit_fails if {
	some r in env_004.deny with input as run([snapshot({"ttl_hours": 96})])
	contains(r.msg, "above the 72-hour limit")
}

test_environment_outliving_its_ttl_fails if {
	some r in env_004.deny with input as run([snapshot({"ttl_hours": 1, "captured_at": "2026-03-01T11:30:00Z"})])
	contains(r.msg, "2.5 hours past its 1-hour TTL")
}

test_unknown_environment_type_fails if {
	some r in env_004.deny with input as run([snapshot({"kind": "temporary"})])
	contains(r.msg, "use permanent or ephemeral")
}

test_only_permanent_environments_is_not_applicable if {
	count(env_004.deny) == 0 with input as run([snapshot({"kind": "permanent", "ttl_hours": null})])
	count(env_004.not_applicable) == 1 with input as run([snapshot({"kind": "permanent", "ttl_hours": null})])
}

test_info_declares_dev_and_staging if {
	env_004.info.stages.dev == "warn"
	env_004.info.stages.staging == "warn"
}
