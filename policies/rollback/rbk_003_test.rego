package gatecheck.controls.rbk_003_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rbk_003

rehearsal(overrides) := object.union(
	object.union(facts.empty.rollback_test, {
		"release": {"name": "payments", "version": "3.0.0"},
		"environment": "staging",
		"performed_at": "2026-02-26T14:00:00Z",
		"result": "passed",
		"from_version": "3.0.0",
		"to_version": "2.9.4",
		"pointer": "",
		"source": {"path": "evidence/rollback.json"},
	}),
	overrides,
)

run(class, tests) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {"name": "payments", "version": "3.0.0", "class": class, "source": {"path": "evidence/r.json"}}),
	"evidence": {"rollback_test": tests},
}

test_passed_staging_rehearsal_passes if {
	count(rbk_003.deny) == 0 with input as run("major", [rehearsal({})])
}

test_missing_rehearsal_fails if {
	some r in rbk_003.deny with input as run("major", [])
	contains(r.msg, "was not exercised in")
}

test_rehearsal_outside_staging_does_not_count if {
	count(rbk_003.deny) == 1 with input as run("major", [rehearsal({"environment": "dev"})])
}

test_rehearsal_of_other_release_does_not_count if {
	count(rbk_003.deny) == 1 with input as run("major", [rehearsal({"release": {"name": "payments", "version": "2.9.4"}})])
}

test_failed_rehearsal_fails if {
	some r in rbk_003.deny with input as run("major", [rehearsal({"result": "failed"})])
	contains(r.msg, `has result "failed"`)
	r.evidence[0].pointer == "/result"
}

test_standard_release_is_not_applicable if {
	count(rbk_003.deny) == 0 with input as run("standard", [])
	count(rbk_003.not_applicable) == 1 with input as run("standard", [])
}
