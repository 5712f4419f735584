package gatecheck.controls.tst_005_test

import rego.v1

import data.gatecheck.controls.tst_005

dry_run(overrides) := object.union(
	{
		"release": {"name": "payments", "version": "2.4.0"},
		"migrations": ["0042_add_ledger_index"],
		"performed_at": "2026-02-27T10:00:00Z",
		"result": "passed",
		"source_checksum": "sha256:aa11",
		"target_checksum": "sha256:aa11",
		"tables": [],
		"pointer": "",
		"source": {"path": "evidence/dryrun.json"},
	},
	overrides,
)

run(migration, runs) := {
	"stage": "production",
	"release": {"name": "payments", "version": "2.4.0", "data_migration": migration, "source": {"path": "evidence/r.json"}},
	"evidence": {"migration_dry_run": runs},
}

test_verified_dry_run_passes if {
	count(tst_005.deny) == 0 with input as run(true, [dry_run({})])
}

test_missing_dry_run_fails if {
	some r in tst_005.deny with input as run(true, [])
	contains(r.msg, "has no migration dry-run for payments 2.4.0")
	r.evidence[0].pointer == "/data_migration"
}

test_dry_run_of_other_release_does_not_count if {
	other := dry_run({"release": {"name": "payments", "version": "2.3.0"}})
	some r in tst_005.deny with input as run(true, [other])
	contains(r.msg, "(1 dry-run(s) name other releases)")
}

test_failed_dry_run_fails if {
	some r in tst_005.deny with input as run(true, [dry_run({"result": "failed"})])
	contains(r.msg, `has result "failed"`)
}

test_checksum_mismatch_fails if {
	some r in tst_005.deny with input as run(true, [dry_run({"target_checksum": "sha256:bb22"})])
	contains(r.msg, "checksums of the migration dry-run differ")
}

test_missing_checksum_fails if {
	some r in tst_005.deny with input as run(true, [dry_run({"source_checksum": null})])
	contains(r.msg, "records no source_checksum")
}

test_table_checksum_mismatch_fails if {
	tables := [
		{"name": "accounts", "source_checksum": "c1", "target_checksum": "c1"},
		{"name": "ledger", "source_checksum": "c2", "target_checksum": "c3"},
	]
	results := tst_005.deny with input as run(true, [dry_run({"source_checksum": null, "target_checksum": null, "tables": tables})])
	count(results) == 1
	some r in results
	contains(r.msg, "table ledger")
	r.evidence[0].pointer == "/tables/1"
}

test_newest_dry_run_decides if {
	count(tst_005.deny) == 0 with input as run(true, [dry_run({"result": "failed", "performed_at": "2026-02-20T10:00:00Z"}), dry_run({})])
}

test_release_without_migration_is_not_applicable if {
	count(tst_005.deny) == 0 with input as run(false, [])
	count(tst_005.not_applicable) == 1 with input as run(false, [])
}
