package gatecheck.controls.pipe_002_test

import rego.v1

import data.gatecheck.controls.pipe_002
import data.gatecheck.test_facts as facts

# Inputs are built only from facts the parsers produced (policies/lib/facts_test.rego).
run(release) := {
	"stage": "production",
	"release": facts.release[release],
	"evidence": {},
}

test_high_availability_canary_passes if {
	count(pipe_002.deny) == 0 with input as run("release_major")
}

test_high_availability_rolling_fails if {
	some r in pipe_002.deny with input as run("release_ha_rolling")
	contains(r.msg, "payments-api is deployed with strategy rolling")
	r.evidence[0].pointer == "/deployment/strategy"
}

test_availability_is_compared_case_insensitively if {
	some r in pipe_002.deny with input as run("release_ha_uppercase")
	contains(r.msg, "deployed with strategy rolling")
}

test_tier_one_service_without_strategy_fails if {
	some r in pipe_002.deny with input as run("release_tier1_no_strategy")
	contains(r.msg, "strategy null")
}

test_standard_service_is_not_applicable if {
	count(pipe_002.deny) == 0 with input as run("release_standard")
	some reason in pipe_002.not_applicable with input as run("release_standard")
	contains(reason, "payments-api is not high-availability")
}

test_release_without_service_fails if {
	some r in pipe_002.deny with input as run("release_no_service")
	contains(r.msg, "gives neither service.availability nor service.tier")
	count(pipe_002.not_applicable) == 0 with input as run("release_no_service")
}

test_service_without_availability_or_tier_fails if {
	some r in pipe_002.deny with input as run("release_service_unclassified")
	contains(r.msg, "gives neither service.availability nor service.tier")
}
