# METADATA
# title: Data migration dry-run verified
# description: >-
#   A release that migrates data (`data_migration: true` in the release manifest, or a
#   migration dry-run of this release in the bundle) rehearsed its migrations on a copy of
#   the data first: no dry-run of this release failed (whatever the manifest declares), and
#   the newest one recorded equal checksums of the data before and after it (overall, or
#   per table where listed). Absent checksums fail.
# custom:
#   id: GC-TST-005
#   severity: high
#   remediation: >-
#     Run the migrations against a restored copy of production data, compare source and
#     target checksums, fix what differs, and add the dry-run record (`kind:
#     MigrationDryRun`) naming this release.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29, A.8.32, A.8.33]
#     nist-800-53: [CM-4, SA-11]
#   evidence: [migration-dry-run, release-manifest]
#   params: []
#   applicability: [release-manifest/data_migration, migration-dry-run]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_005

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

declared := lc.get(lc.release, "data_migration", false) == true

all_runs := lib.evidence("migration_dry_run")

runs := [r | some r in all_runs; lc.for_this_release(r)]

# Applicability is decided from facts: the manifest's declaration, or a dry-run of this
# release in the bundle, which contradicts a manifest that says there is no migration.
migrates if declared

migrates if count(runs) > 0

newest := lc.newest(runs, "performed_at")

not_applicable contains "the release manifest declares no data migration and the bundle holds no migration dry-run of this release" if not migrates

deny contains result if {
	migrates
	count(runs) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("release with data migration has no migration dry-run for %s %s%s", [lc.release.name, lc.release.version, other_releases]),
		array.concat([lib.release_ref("/data_migration")], [lib.ref(r) | some r in all_runs]),
	)
}

other_releases := sprintf(" (%d dry-run(s) name other releases)", [count(all_runs)]) if count(all_runs) > 0

else := ""

# Any failed dry-run of this release fails the control, whatever the manifest declares and
# whether or not a later one passed: a failure is evidence the migration is not safe.
deny contains result if {
	some r in runs
	lc.get(r, "result", null) != "passed"
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the migration dry-run of %s has result %v%s", [lc.get(r, "performed_at", "an unknown time"), json.marshal(lc.get(r, "result", null)), undeclared]),
		[lc.field_ref(r, "/result")],
	)
}

undeclared := "" if declared

else := " (the release manifest declares no data migration)"

deny contains result if {
	some r in newest
	count(lc.get(r, "tables", [])) == 0
	some side in ["source_checksum", "target_checksum"]
	lc.blank(lc.get(r, side, null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the migration dry-run of %s records no %s, so the data cannot be shown intact", [r.performed_at, side]),
		[lc.field_ref(r, sprintf("/%s", [side]))],
	)
}

deny contains result if {
	some r in newest
	source := lc.get(r, "source_checksum", null)
	target := lc.get(r, "target_checksum", null)
	lc.present(source)
	lc.present(target)
	source != target
	result := lib.result(
		rego.metadata.chain(),
		sprintf("source and target checksums of the migration dry-run differ (%s != %s)", [source, target]),
		[lc.field_ref(r, "/target_checksum")],
	)
}

deny contains result if {
	some r in newest
	some i, t in lc.get(r, "tables", [])
	not same_checksum(t)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("table %s: source checksum %v and target checksum %v of the migration dry-run differ or are missing", [t.name, lc.get(t, "source_checksum", null), lc.get(t, "target_checksum", null)]),
		[lc.field_ref(r, sprintf("/tables/%d", [i]))],
	)
}

same_checksum(t) if {
	source := lc.get(t, "source_checksum", null)
	lc.present(source)
	source == lc.get(t, "target_checksum", null)
}
