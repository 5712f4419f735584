# METADATA
# title: High-availability services use blue-green or canary
# description: >-
#   A service whose availability is in `ha_availability_levels` (compared case-insensitively)
#   or whose tier is in `ha_tiers` is deployed with a strategy from `ha_strategies`
#   (blue-green or canary), so a bad release reaches few users and is switched back without
#   downtime. A release that gives neither availability nor tier fails.
# custom:
#   id: GC-PIPE-002
#   severity: high
#   remediation: >-
#     Deploy the service blue-green or canary and set `deployment.strategy` in the release
#     manifest accordingly.
#   frameworks:
#     soc2: [CC8.1, A1.2]
#     iso27001: [A.8.14, A.8.32]
#     nist-800-53: [CM-3, CP-2]
#   evidence: [release-manifest]
#   params: [ha_availability_levels, ha_tiers, ha_strategies]
#   applicability: [release-manifest/service/availability, release-manifest/service/tier]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.pipe_002

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

service := lc.get(lc.release, "service", {})

availability := lower(trim_space(value)) if {
	value := lc.get(service, "availability", null)
	is_string(value)
}

tier := lc.get(service, "tier", null)

high_availability if availability in {lower(level) | some level in lib.param("ha_availability_levels")}

high_availability if tier in lib.param("ha_tiers")

# Positive evidence: a release that says neither how available its service must be nor its
# tier cannot be shown not to need a safe strategy.
unclassified if {
	not availability
	tier == null
}

not_applicable contains sprintf("service %s is not high-availability (availability %v, tier %v)", [lc.service_name, lc.get(service, "availability", null), tier]) if {
	not high_availability
	not unclassified
}

deny contains result if {
	high_availability
	not lc.strategy in lib.param("ha_strategies")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("high-availability service %s is deployed with strategy %v; use one of %v", [lc.service_name, lc.strategy, lib.param("ha_strategies")]),
		[lib.release_ref("/deployment/strategy")],
	)
}

deny contains result if {
	unclassified
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the release manifest gives neither service.availability nor service.tier for service %s, so it cannot be shown not to need %v", [lc.service_name, lib.param("ha_strategies")]),
		[lib.release_ref("/service")],
	)
}
