# METADATA
# title: Backups verified and RTO met
# description: >-
#   A major release has a backup restore test no older than `backup_test_max_age_days`; the
#   newest restore test, for any release that has one, restored data whose checksum matches
#   the backup's (a test that does not say fails), within the recovery time objective that
#   the release manifest (`service.rto_seconds`) or policy data (`rto_seconds`, by service)
#   declares; the RTO a restore test states about itself is ignored.
# custom:
#   id: GC-RBK-002
#   severity: high
#   remediation: >-
#     Restore the latest backup into a scratch environment, verify its checksum, time the
#     restore against the RTO, and add the record (`kind: BackupRestoreTest`).
#   frameworks:
#     soc2: [A1.3, CC8.1]
#     iso27001: [A.8.13, A.8.32]
#     nist-800-53: [CP-4, CP-9, CP-10]
#   evidence: [backup-restore-test, release-manifest]
#   params: [backup_test_max_age_days, rto_seconds]
#   applicability: [release-manifest/class, backup-restore-test]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rbk_002

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

tests := lib.evidence("backup_restore_test")

max_age := lib.param("backup_test_max_age_days")

newest := lc.newest(tests, "performed_at")

recent := [t | some t in tests; lc.age_days(t.performed_at) <= max_age]

not_applicable contains sprintf("a %s release with no backup restore test on record: only major releases need one", [lc.release_class]) if {
	not lc.major
	count(tests) == 0
}

deny contains result if {
	lc.major
	count(recent) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("major release without a backup restore test in the last %d days%s", [max_age, last_test]),
		[lib.ref(t) | some t in newest],
	)
}

last_test := sprintf(" (the newest is from %s)", [newest[0].performed_at]) if count(newest) > 0

else := ""

deny contains result if {
	some t in newest
	object.get(t, "checksum_match", null) != true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore test of %s %s", [t.performed_at, checksum_problem(object.get(t, "checksum_match", null))]),
		[lc.field_ref(t, "/checksum_match")],
	)
}

checksum_problem(false) := "restored data whose checksum does not match the backup"

checksum_problem(value) := "does not say whether the restored data's checksum matched" if value != false

deny contains result if {
	some t in newest
	not is_number(object.get(t, "restore_seconds", null))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore test of %s records no restore_seconds, so the RTO cannot be checked", [t.performed_at]),
		[lc.field_ref(t, "/restore_seconds")],
	)
}

# The recovery time objective the release is held to: the one its manifest declares for the
# service, else the organisation's for the service (`rto_seconds` in policy data). Never the
# one the restore test states about itself: the test would grade its own result.
rto := [value, [lib.release_ref("/service/rto_seconds")], "the release manifest"] if {
	value := lc.get(lc.get(lc.release, "service", {}), "rto_seconds", null)
	is_number(value)
} else := [value, [], sprintf("policy data (rto_seconds.%s)", [lc.service_name])] if {
	value := object.get(lib.param("rto_seconds"), lc.service_name, null)
	is_number(value)
}

deny contains result if {
	count(newest) > 0
	not rto
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no recovery time objective is declared for service %s (service.rto_seconds in the release manifest, or rto_seconds in policy data); the restore test's own rto_seconds is not an objective", [lc.service_name]),
		array.concat([lib.release_ref("/service")], [lc.field_ref(t, "/rto_seconds") | some t in newest]),
	)
}

deny contains result if {
	some t in newest
	is_number(object.get(t, "restore_seconds", null))
	[limit, limit_refs, declared_by] := rto
	t.restore_seconds > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore of %s took %v s, longer than the RTO of %v s declared by %s", [t.performed_at, t.restore_seconds, limit, declared_by]),
		array.concat([lc.field_ref(t, "/restore_seconds")], limit_refs),
	)
}
