# METADATA
# title: Post-deploy health checks defined
# description: >-
#   The release manifest declares how the deployed service is verified: at least one health
#   check or monitor (`health_checks`, `monitors`). Without either, nothing tells the
#   pipeline whether the deployment works or when to roll it back.
# custom:
#   id: GC-PIPE-003
#   severity: high
#   remediation: >-
#     List the service's health-check endpoints in `health_checks` and the monitors or alert
#     rules watching it in `monitors` in the release manifest.
#   frameworks:
#     soc2: [CC7.2, CC8.1]
#     iso27001: [A.8.16, A.8.32]
#     nist-800-53: [CM-3, CM-4, SI-4]
#   evidence: [release-manifest]
#   params: []
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.pipe_003

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

declared(key) := [entry | some entry in lc.get(lc.release, key, []); lc.present(entry)]

deny contains result if {
	count(declared("health_checks")) == 0
	count(declared("monitors")) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the release manifest declares no health check or monitor for service %s", [lc.service_name]),
		[lib.release_ref("/health_checks"), lib.release_ref("/monitors")],
	)
}
