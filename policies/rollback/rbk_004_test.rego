package gatecheck.controls.rbk_004_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rbk_004

run(snapshots, records) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "snapshots": with_fields(snapshots), "source": {"path": "evidence/r.json"}}),
	"evidence": {"state_snapshot": records},
}

# The manifest's snapshots section with the fields the parser writes for it.
with_fields(snapshots) := object.union(facts.empty.snapshots, snapshots) if is_object(snapshots)

with_fields(null) := null

record(overrides) := object.union(
	object.union(facts.empty.state_snapshot, {
		"release": {"name": "payments", "version": "2.4.0"},
		"config_snapshot_id": "cfg-2026-03-01-1130",
		"data_snapshot_id": "rds:payments-2026-03-01-1130",
		"taken_at": "2026-03-01T11:30:00Z",
		"pointer": "",
		"source": {"path": "evidence/snap.json"},
	}),
	overrides,
)

test_snapshot_ids_in_manifest_pass if {
	count(rbk_004.deny) == 0 with input as run({"config_snapshot_id": "cfg-1", "data_snapshot_id": "db-1", "taken_at": "2026-03-01T11:30:00Z"}, [])
}

test_snapshots_at_no_recorded_time_fail if {
	some r in rbk_004.deny with input as run({"config_snapshot_id": "cfg-1", "data_snapshot_id": "db-1", "taken_at": null}, [])
	r.msg == "the snapshots record no time (taken_at), so they cannot be shown to precede the deployment"
}

test_snapshot_taken_after_the_effective_time_fails if {
	later := record({"taken_at": "2026-03-02T11:30:00Z"})
	some r in rbk_004.deny with input as object.union(run(null, [later]), {"effective_time": "2026-03-01T12:00:00Z", "effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z")})
	r.msg == "a snapshot was taken at 2026-03-02T11:30:00Z, after the effective time 2026-03-01T12:00:00Z"
}

test_snapshot_record_passes if {
	count(rbk_004.deny) == 0 with input as run(null, [record({})])
}

test_ids_may_come_from_both_sources if {
	count(rbk_004.deny) == 0 with input as run({"config_snapshot_id": "cfg-1", "data_snapshot_id": null}, [record({"config_snapshot_id": null})])
}

test_missing_data_snapshot_fails if {
	results := rbk_004.deny with input as run({"config_snapshot_id": "cfg-1", "data_snapshot_id": " ", "taken_at": "2026-03-01T11:30:00Z"}, [])
	count(results) == 1
	some r in results
	r.msg == "no data snapshot id is recorded before the deployment"
}

test_nothing_recorded_fails_twice if {
	count(rbk_004.deny) == 2 with input as run(null, [])
}

test_record_of_other_release_does_not_count if {
	count(rbk_004.deny) == 2 with input as run(null, [record({"release": {"name": "payments", "version": "2.3.0"}})])
}
