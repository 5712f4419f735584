# METADATA
# title: Backups verified and RTO met
# description: >-
#   A major release has a backup restore test no older than `backup_test_max_age_days`; the
#   newest restore test, for any release that has one, restored data whose checksum matches
#   the backup's, within its recovery time objective.
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
#   params: [backup_test_max_age_days]
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

last_test := sprintf(" (the newest is from %s)", [newest[0].performed_at]) if count(newest) > 0 else := ""

deny contains result if {
	some t in newest
	t.checksum_match != true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore test of %s %s", [t.performed_at, checksum_problem(t.checksum_match)]),
		[lc.field_ref(t, "/checksum_match")],
	)
}

checksum_problem(false) := "restored data whose checksum does not match the backup"

checksum_problem(null) := "does not say whether the restored data's checksum matched"

deny contains result if {
	some t in newest
	some key in ["restore_seconds", "rto_seconds"]
	t[key] == null
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore test of %s records no %s, so the RTO cannot be checked", [t.performed_at, key]),
		[lc.field_ref(t, sprintf("/%s", [key]))],
	)
}

deny contains result if {
	some t in newest
	is_number(t.restore_seconds)
	is_number(t.rto_seconds)
	t.restore_seconds > t.rto_seconds
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the restore of %s took %v s, longer than the RTO of %v s", [t.performed_at, t.restore_seconds, t.rto_seconds]),
		[lc.field_ref(t, "/restore_seconds"), lc.field_ref(t, "/rto_seconds")],
	)
}
