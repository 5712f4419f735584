package gatecheck.controls.pipe_002_test

import rego.v1

import data.gatecheck.controls.pipe_002

run(service, strategy) := {
	"stage": "production",
	"release": {
		"name": "payments",
		"version": "2.4.0",
		"service": service,
		"deployment": {"strategy": strategy},
		"source": {"path": "evidence/r.json"},
	},
	"evidence": {},
}

test_high_availability_canary_passes if {
	count(pipe_002.deny) == 0 with input as run({"name": "payments-api", "availability": "high"}, "canary")
}

test_high_availability_rolling_fails if {
	some r in pipe_002.deny with input as run({"name": "payments-api", "availability": "high"}, "rolling")
	contains(r.msg, "payments-api is deployed with strategy rolling")
	r.evidence[0].pointer == "/deployment/strategy"
}

test_tier_one_service_without_strategy_fails if {
	some r in pipe_002.deny with input as run({"name": "payments-api", "tier": 1}, null)
	contains(r.msg, "strategy null")
}

test_standard_service_is_not_applicable if {
	inp := run({"name": "reports", "availability": "standard", "tier": 3}, "recreate")
	count(pipe_002.deny) == 0 with input as inp
	some reason in pipe_002.not_applicable with input as inp
	contains(reason, "reports is not high-availability")
}

test_release_without_service_is_not_applicable if {
	count(pipe_002.not_applicable) == 1 with input as run(null, "rolling")
}
