package gatecheck.controls.tst_005_test

import rego.v1

import data.gatecheck.controls.tst_005
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release, runs) := {
	"stage": "production",
	"release": facts.release[release],
	"evidence": {"migration_dry_run": [facts.migration_dry_run[r] | some r in runs]},
}

test_verified_dry_run_passes if {
	count(tst_005.deny) == 0 with input as run("release_migration", ["dry_run_ok"])
}

test_missing_dry_run_fails if {
	some r in tst_005.deny with input as run("release_migration", [])
	contains(r.msg, "has no migration dry-run for payments-api 2.4.0")
	r.evidence[0].pointer == "/data_migration"
}

test_dry_run_of_other_release_does_not_count if {
	some r in tst_005.deny with input as run("release_migration", ["dry_run_other_release"])
	contains(r.msg, "(1 dry-run(s) name other releases)")
}

test_failed_dry_run_fails if {
	some r in tst_005.deny with input as run("release_migration", ["dry_run_failed"])
	contains(r.msg, `has result "failed"`)
}

test_failed_dry_run_fails_whatever_the_manifest_declares if {
	some r in tst_005.deny with input as run("release_major", ["dry_run_failed"])
	contains(r.msg, `has result "failed" (the release manifest declares no data migration)`)
	count(tst_005.not_applicable) == 0 with input as run("release_major", ["dry_run_failed"])
}

test_an_earlier_failed_dry_run_still_fails if {
	some r in tst_005.deny with input as run("release_migration", ["dry_run_failed_earlier", "dry_run_ok"])
	contains(r.msg, "2026-02-20T02:14:09Z")
}

test_checksum_mismatch_fails if {
	some r in tst_005.deny with input as run("release_migration", ["dry_run_checksums_differ"])
	contains(r.msg, "checksums of the migration dry-run differ")
}

test_absent_checksums_fail if {
	denied := {r.msg | some r in tst_005.deny} with input as run("release_migration", ["dry_run_no_checksums"])
	some msg in denied
	contains(msg, "records no source_checksum")
	some other in denied
	contains(other, "records no target_checksum")
}

test_absent_checksums_fail_when_only_the_dry_run_says_there_is_a_migration if {
	some r in tst_005.deny with input as run("release_major", ["dry_run_no_checksums"])
	contains(r.msg, "records no source_checksum")
}

test_table_checksum_missing_fails if {
	some r in tst_005.deny with input as run("release_migration", ["dry_run_tables"])
	contains(r.msg, "table ledger_entries")
	r.evidence[0].pointer == "/tables/1"
}

test_release_without_migration_or_dry_run_is_not_applicable if {
	count(tst_005.deny) == 0 with input as run("release_major", [])
	count(tst_005.not_applicable) == 1 with input as run("release_major", [])
}

test_dry_run_of_another_release_does_not_make_it_applicable if {
	count(tst_005.not_applicable) == 1 with input as run("release_major", ["dry_run_other_release"])
}
