# METADATA
# title: Rollback criteria defined
# description: >-
#   Before deploying, the release says when it will be rolled back: a maximum error rate and
#   a latency threshold (p95 or p99), and, when it migrates data (declared in the manifest,
#   or shown by a migration dry-run of this release in the bundle), how data consistency is
#   checked. Post-deployment verification (GC-VER-001/002) measures against these.
# custom:
#   id: GC-REL-004
#   severity: high
#   remediation: >-
#     Add a `rollback` section to the release manifest with `error_rate` (0..1),
#     `latency_p95_ms` or `latency_p99_ms`, and `data_consistency_check` when the release
#     migrates data.
#   frameworks:
#     soc2: [CC8.1, A1.2]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CP-10]
#   evidence: [release-manifest, migration-dry-run]
#   params: []
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rel_004

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

rollback := object.get(input.release, "rollback", null)

# A rollback criterion, null when it (or the whole section) is absent.
criterion(name) := object.get(rollback, name, null) if is_object(rollback)

else := null

deny contains result if {
	rollback == null
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest defines no rollback criteria",
		[lib.release_ref("/rollback")],
	)
}

deny contains result if {
	rollback != null
	criterion("error_rate") == null
	result := lib.result(
		rego.metadata.chain(),
		"the rollback criteria set no error-rate threshold (rollback.error_rate)",
		[lib.release_ref("/rollback/error_rate")],
	)
}

deny contains result if {
	rate := criterion("error_rate")
	rate != null
	not fraction(rate)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the rollback error-rate threshold %v is not a fraction between 0 and 1", [rate]),
		[lib.release_ref("/rollback/error_rate")],
	)
}

deny contains result if {
	rollback != null
	criterion("latency_p95_ms") == null
	criterion("latency_p99_ms") == null
	result := lib.result(
		rego.metadata.chain(),
		"the rollback criteria set no latency threshold (rollback.latency_p95_ms or latency_p99_ms)",
		[lib.release_ref("/rollback")],
	)
}

deny contains result if {
	some field in ["latency_p95_ms", "latency_p99_ms"]
	value := criterion(field)
	value != null
	value <= 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the rollback latency threshold %s is %v; it must be positive", [field, value]),
		[lib.release_ref(sprintf("/rollback/%s", [field]))],
	)
}

# A migration is decided from facts: the manifest's declaration, or a migration dry-run of
# this release in the bundle (which a manifest saying "no migration" does not outweigh).
migrates if object.get(input.release, "data_migration", false) == true

migrates if {
	some r in lib.evidence("migration_dry_run")
	lc.for_this_release(r)
}

deny contains result if {
	migrates
	gov.blank(criterion("data_consistency_check"))
	result := lib.result(
		rego.metadata.chain(),
		"the release migrates data but its rollback criteria define no data-consistency check",
		[lib.release_ref("/rollback/data_consistency_check")],
	)
}

fraction(rate) if {
	rate >= 0
	rate <= 1
}
