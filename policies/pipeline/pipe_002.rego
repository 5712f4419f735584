# METADATA
# title: High-availability services use blue-green or canary
# description: >-
#   A service whose availability is in `ha_availability_levels` or whose tier is in
#   `ha_tiers` is deployed with a strategy from `ha_strategies` (blue-green or canary), so a
#   bad release reaches few users and is switched back without downtime.
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

high_availability if lc.get(service, "availability", null) in lib.param("ha_availability_levels")

high_availability if lc.get(service, "tier", null) in lib.param("ha_tiers")

not_applicable contains sprintf("service %s is not high-availability (availability %v, tier %v)", [lc.service_name, lc.get(service, "availability", null), lc.get(service, "tier", null)]) if {
	not high_availability
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
