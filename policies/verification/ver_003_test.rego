package gatecheck.controls.ver_003_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.ver_003

rule(kind, enabled) := {"name": sprintf("%s-rule", [kind]), "kind": kind, "enabled": enabled, "expression": null, "severity": "page", "notify": ["pagerduty:payments"]}

config(overrides) := object.union(
	object.union(facts.empty.monitoring_config, {
		"service": "payments-api",
		"environment": "production",
		"rules": [rule("anomaly", true), rule("slo", true)],
		"first_hour_coverage": true,
		"pointer": "",
		"source": {"path": "evidence/monitoring.yaml"},
	}),
	overrides,
)

run(configs) := {
	"stage": "post-deploy",
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "2.4.0",
		"service": object.union(facts.empty.service, {"name": "payments-api"}),
		"source": {"path": "evidence/r.json"},
	}),
	"evidence": {"monitoring_config": configs},
}

test_enabled_anomaly_rule_covering_first_hour_passes if {
	count(ver_003.deny) == 0 with input as run([config({})])
}

test_missing_config_fails if {
	some r in ver_003.deny with input as run([config({"service": "reports"})])
	contains(r.msg, "no monitoring configuration for service payments-api")
}

test_only_disabled_or_other_rules_fail if {
	some r in ver_003.deny with input as run([config({"rules": [rule("alert", false), rule("slo", true)]})])
	contains(r.msg, "no enabled rule of kind")
}

test_first_hour_not_covered_fails if {
	some r in ver_003.deny with input as run([config({"first_hour_coverage": null})])
	contains(r.msg, "covers the first hour")
}

test_advisory_after_deployment if {
	ver_003.info.stages == {"post-deploy": "warn"}
}
