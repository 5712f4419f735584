package gatecheck.controls.rbk_002_test

import rego.v1

import data.gatecheck.controls.rbk_002
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release, tests) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": facts.release[release],
	"evidence": {"backup_restore_test": [facts.backup_restore_test[t] | some t in tests]},
}

# With the organisation's RTO for the service in policy data.
messages(release, tests) := msgs if {
	msgs := {r.msg | some r in rbk_002.deny} with input as run(release, tests)
		with data.gatecheck.config.params.rto_seconds as {"payments-api": 3600}
}

test_recent_verified_restore_within_the_declared_rto_passes if {
	count(messages("release_major", ["restore_ok"])) == 0
	count(rbk_002.deny) == 0 with input as run("release_rto", ["restore_ok"])
}

test_major_release_without_restore_test_fails if {
	"major release without a backup restore test in the last 30 days" in messages("release_major", [])
}

test_stale_restore_test_fails_for_major if {
	some msg in messages("release_major", ["restore_stale"])
	contains(msg, "(the newest is from 2026-01-02T03:00:00Z)")
}

test_checksum_mismatch_fails if {
	some msg in messages("release_standard", ["restore_checksum_mismatch"])
	contains(msg, "checksum does not match the backup")
}

test_no_checksum_result_fails if {
	some msg in messages("release_major", ["restore_no_checksum_result"])
	contains(msg, "does not say whether")
}

test_no_restore_time_fails if {
	some msg in messages("release_major", ["restore_no_time"])
	contains(msg, "records no restore_seconds")
}

test_restore_slower_than_the_declared_rto_fails_whatever_the_test_claims if {
	# The test states an RTO of 7200 s; the organisation's 3600 s applies.
	some msg in messages("release_major", ["restore_slow_self_graded"])
	contains(msg, "took 4000 s, longer than the RTO of 3600 s declared by policy data (rto_seconds.payments-api)")
}

test_the_manifest_rto_fails_a_slow_restore if {
	some r in rbk_002.deny with input as run("release_rto", ["restore_slow_self_graded"])
	contains(r.msg, "longer than the RTO of 1800 s declared by the release manifest")
}

test_no_declared_rto_fails_even_when_the_test_claims_one if {
	some r in rbk_002.deny with input as run("release_major", ["restore_ok"])
	contains(r.msg, "no recovery time objective is declared for service payments-api")
}

test_the_tests_own_rto_claim_is_not_needed if {
	count(messages("release_major", ["restore_no_rto_claim"])) == 0
}

test_newest_test_decides if {
	count(messages("release_major", ["restore_older_mismatch", "restore_ok"])) == 0
}

test_standard_release_without_test_is_not_applicable if {
	count(rbk_002.deny) == 0 with input as run("release_standard", [])
	count(rbk_002.not_applicable) == 1 with input as run("release_standard", [])
}
