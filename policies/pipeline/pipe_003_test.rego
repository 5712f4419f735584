package gatecheck.controls.pipe_003_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.pipe_003

run(health, monitors) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {
		"name": "payments",
		"version": "2.4.0",
		"health_checks": health,
		"monitors": monitors,
		"source": {"path": "evidence/r.json"},
	}),
	"evidence": {},
}

test_health_check_declared_passes if {
	count(pipe_003.deny) == 0 with input as run(["https://payments.internal/healthz"], [])
}

test_monitor_declared_passes if {
	count(pipe_003.deny) == 0 with input as run([], ["datadog:monitor/4711"])
}

test_nothing_declared_fails if {
	some r in pipe_003.deny with input as run([], [])
	contains(r.msg, "no health check or monitor for service payments")
}

test_blank_entries_do_not_count if {
	count(pipe_003.deny) == 1 with input as run(["  "], [""])
}
