package gatecheck.controls.rbk_002_test

import rego.v1

import data.gatecheck.controls.rbk_002

restore(overrides) := object.union(
	{
		"dataset": "payments-db",
		"performed_at": "2026-02-20T03:00:00Z",
		"checksum_match": true,
		"restore_seconds": 1260,
		"rto_seconds": 3600,
		"pointer": "",
		"source": {"path": "evidence/restore.json"},
	},
	overrides,
)

run(class, tests) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": {"name": "payments", "version": "3.0.0", "class": class, "source": {"path": "evidence/r.json"}},
	"evidence": {"backup_restore_test": tests},
}

test_recent_verified_restore_passes if {
	count(rbk_002.deny) == 0 with input as run("major", [restore({})])
}

test_major_release_without_restore_test_fails if {
	some r in rbk_002.deny with input as run("major", [])
	r.msg == "major release without a backup restore test in the last 30 days"
}

test_stale_restore_test_fails_for_major if {
	some r in rbk_002.deny with input as run("major", [restore({"performed_at": "2026-01-02T03:00:00Z"})])
	contains(r.msg, "(the newest is from 2026-01-02T03:00:00Z)")
}

test_checksum_mismatch_fails if {
	some r in rbk_002.deny with input as run("standard", [restore({"checksum_match": false})])
	contains(r.msg, "checksum does not match the backup")
}

test_unverified_checksum_fails if {
	some r in rbk_002.deny with input as run("major", [restore({"checksum_match": null})])
	contains(r.msg, "does not say whether")
}

test_restore_slower_than_rto_fails if {
	some r in rbk_002.deny with input as run("major", [restore({"restore_seconds": 4000})])
	contains(r.msg, "took 4000 s, longer than the RTO of 3600 s")
}

test_missing_rto_fails if {
	some r in rbk_002.deny with input as run("major", [restore({"rto_seconds": null})])
	contains(r.msg, "records no rto_seconds")
}

test_newest_test_decides if {
	older := restore({"checksum_match": false, "performed_at": "2026-02-01T03:00:00Z"})
	count(rbk_002.deny) == 0 with input as run("major", [older, restore({})])
}

test_standard_release_without_test_is_not_applicable if {
	count(rbk_002.deny) == 0 with input as run("standard", [])
	count(rbk_002.not_applicable) == 1 with input as run("standard", [])
}
