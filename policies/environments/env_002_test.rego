package gatecheck.controls.env_002_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.env_002

snapshot(env, parity, captured) := object.union(facts.empty.environment_snapshot, {
	"environment": env,
	"kind": "permanent",
	"parity": parity,
	"captured_at": captured,
	"pointer": "",
	"source": {"path": sprintf("evidence/%s.json", [env])},
})

same := {"runtime": "python-3.11.9", "base_image": "sha256:1111", "iac_modules": {"network": "v1.4.0", "db": "v2.0.1"}}

run(snapshots) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "source": {"path": "evidence/r.json"}}),
	"evidence": {"environment_snapshot": snapshots},
}

test_matching_environments_pass if {
	count(env_002.deny) == 0 with input as run([
		snapshot("staging", same, "2026-03-01T08:00:00Z"),
		snapshot("production", same, "2026-03-01T08:00:00Z"),
	])
}

test_differing_module_version_fails if {
	prod := json.patch(same, [{"op": "replace", "path": "/iac_modules/db", "value": "v1.9.0"}])
	results := env_002.deny with input as run([
		snapshot("staging", same, "2026-03-01T08:00:00Z"),
		snapshot("production", prod, "2026-03-01T08:00:00Z"),
	])
	count(results) == 1
	some r in results
	r.msg == "iac_modules.db differs between staging (v2.0.1) and production (v1.9.0)"
	r.evidence[1] == {"path": "evidence/production.json", "pointer": "/parity/iac_modules/db"}
}

test_only_newest_snapshot_counts if {
	old := object.union(same, {"runtime": "python-3.10.0"})
	count(env_002.deny) == 0 with input as run([
		snapshot("staging", same, "2026-03-01T08:00:00Z"),
		snapshot("production", old, "2026-02-01T08:00:00Z"),
		snapshot("production", same, "2026-03-01T08:00:00Z"),
	])
}

test_missing_environment_snapshot_fails if {
	some r in env_002.deny with input as run([snapshot("staging", same, "2026-03-01T08:00:00Z")])
	contains(r.msg, "no environment snapshot of production")
}

test_key_recorded_by_neither_fails if {
	partial := object.remove(same, ["base_image"])
	some r in env_002.deny with input as run([
		snapshot("staging", partial, "2026-03-01T08:00:00Z"),
		snapshot("production", partial, "2026-03-01T08:00:00Z"),
	])
	contains(r.msg, "staging and production does not record base_image")
}

test_single_parity_environment_is_not_applicable if {
	count(env_002.not_applicable) == 1 with input as run([])
		with data.gatecheck.config.params.parity_environments as ["production"]
	count(env_002.deny) == 0 with input as run([])
		with data.gatecheck.config.params.parity_environments as ["production"]
}

test_info_declares_control if {
	env_002.info.id == "GC-ENV-002"
	env_002.info.stages.production == "warn"
}

test_differing_runtime_fails if {
	prod := object.union(same, {"runtime": "python-3.12.2"})
	some r in env_002.deny with input as run([
		snapshot("staging", same, "2026-03-01T08:00:00Z"),
		snapshot("production", prod, "2026-03-01T08:00:00Z"),
	])
	r.msg == "runtime differs between staging (python-3.11.9) and production (python-3.12.2)"
}

test_module_missing_in_one_environment_fails if {
	prod := json.patch(same, [{"op": "remove", "path": "/iac_modules/db"}])
	some r in env_002.deny with input as run([
		snapshot("staging", same, "2026-03-01T08:00:00Z"),
		snapshot("production", prod, "2026-03-01T08:00:00Z"),
	])
	r.msg == "iac_modules.db differs between staging (v2.0.1) and production (null)"
}
