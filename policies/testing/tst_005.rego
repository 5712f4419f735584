# METADATA
# title: Data migration dry-run verified
# description: >-
#   A release that migrates data (`data_migration: true` in the release manifest) rehearsed
#   its migrations on a copy of the data first: the newest dry-run for this release passed,
#   and the checksums of the data before and after it (overall, and per table where listed)
#   are recorded and equal.
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
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_005

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

migrates if lc.get(lc.release, "data_migration", false) == true

all_runs := lib.evidence("migration_dry_run")

runs := [r | some r in all_runs; lc.for_this_release(r)]

newest := lc.newest(runs, "performed_at")

not_applicable contains "the release manifest declares no data migration" if not migrates

deny contains result if {
	migrates
	count(runs) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("release with data migration has no migration dry-run for %s %s%s", [lc.release.name, lc.release.version, other_releases]),
		array.concat([lib.release_ref("/data_migration")], [lib.ref(r) | some r in all_runs]),
	)
}

other_releases := sprintf(" (%d dry-run(s) name other releases)", [count(all_runs)]) if count(all_runs) > 0 else := ""

deny contains result if {
	migrates
	some r in newest
	r.result != "passed"
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the migration dry-run of %s has result %q", [r.performed_at, r.result]),
		[lc.field_ref(r, "/result")],
	)
}

deny contains result if {
	migrates
	some r in newest
	count(r.tables) == 0
	some side in ["source_checksum", "target_checksum"]
	lc.blank(r[side])
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the migration dry-run of %s records no %s, so the data cannot be shown intact", [r.performed_at, side]),
		[lc.field_ref(r, sprintf("/%s", [side]))],
	)
}

deny contains result if {
	migrates
	some r in newest
	lc.present(r.source_checksum)
	lc.present(r.target_checksum)
	r.source_checksum != r.target_checksum
	result := lib.result(
		rego.metadata.chain(),
		sprintf("source and target checksums of the migration dry-run differ (%s != %s)", [r.source_checksum, r.target_checksum]),
		[lc.field_ref(r, "/target_checksum")],
	)
}

deny contains result if {
	migrates
	some r in newest
	some i, t in r.tables
	not same_checksum(t)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("table %s: source checksum %v and target checksum %v of the migration dry-run differ or are missing", [t.name, t.source_checksum, t.target_checksum]),
		[lc.field_ref(r, sprintf("/tables/%d", [i]))],
	)
}

same_checksum(t) if {
	lc.present(t.source_checksum)
	t.source_checksum == t.target_checksum
}
