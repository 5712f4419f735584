package gatecheck.controls.env_005_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.env_005

check(expected, observed) := {"from": "dmz", "to": "db", "port": 5432, "protocol": "tcp", "expected": expected, "observed": observed}

seg(overrides) := object.union(
	object.union(facts.empty.segmentation_test, {
		"environment": "production",
		"performed_at": "2026-02-20T09:00:00Z",
		"result": "passed",
		"checks": [check("deny", "deny"), check("allow", "allow")],
		"pointer": "",
		"source": {"path": "evidence/seg.json"},
	}),
	overrides,
)

run(tests) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "2.4.0", "source": {"path": "evidence/r.json"}}),
	"evidence": {"segmentation_test": tests},
}

test_recent_passed_test_passes if {
	count(env_005.deny) == 0 with input as run([seg({})])
}

test_missing_test_fails if {
	some r in env_005.deny with input as run([seg({"environment": "staging"})])
	contains(r.msg, "no network segmentation test of environment production")
}

test_failed_result_fails if {
	some r in env_005.deny with input as run([seg({"result": "failed"})])
	contains(r.msg, `has result "failed"`)
}

test_open_path_fails_even_when_result_says_passed if {
	some r in env_005.deny with input as run([seg({"checks": [check("deny", "allow")]})])
	contains(r.msg, "dmz -> db port 5432 expected deny, observed allow")
	r.evidence[0].pointer == "/checks/0"
}

test_stale_test_fails if {
	some r in env_005.deny with input as run([seg({"performed_at": "2026-01-15T09:00:00Z"})])
	contains(r.msg, "45 days old (limit 30 days)")
}

test_newest_test_decides if {
	count(env_005.deny) == 0 with input as run([seg({"result": "failed", "performed_at": "2026-02-10T09:00:00Z"}), seg({})])
}
