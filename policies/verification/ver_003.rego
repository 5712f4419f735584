# METADATA
# title: Alerting in place for the first hour
# description: >-
#   The deployed service is watched by at least one enabled alert or anomaly rule
#   (`alert_rule_kinds`) in its monitoring configuration, and the configuration covers the
#   first hour after the deployment, when most bad releases show themselves.
# custom:
#   id: GC-VER-003
#   severity: medium
#   remediation: >-
#     Enable alert or anomaly rules for the service's error rate and latency, make sure they
#     are active from the deployment on, and add the monitoring configuration (`kind:
#     MonitoringConfig`) to the bundle.
#   frameworks:
#     soc2: [CC7.2]
#     iso27001: [A.8.16]
#     nist-800-53: [SI-4, AU-6]
#   evidence: [monitoring-config, release-manifest]
#   params: [alert_rule_kinds]
#   stages:
#     post-deploy: warn
package gatecheck.controls.ver_003

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

configs := [c | some c in lib.evidence("monitoring_config"); c.service == lc.service_name]

alerting_rules := [r |
	some c in configs
	some r in c.rules
	r.enabled == true
	r.kind in lib.param("alert_rule_kinds")
]

deny contains result if {
	count(configs) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no monitoring configuration for service %s", [lc.service_name]),
		[lib.ref(c) | some c in lib.evidence("monitoring_config")],
	)
}

deny contains result if {
	count(configs) > 0
	count(alerting_rules) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the monitoring configuration of %s has no enabled rule of kind %v", [lc.service_name, lib.param("alert_rule_kinds")]),
		[lc.field_ref(c, "/rules") | some c in configs],
	)
}

deny contains result if {
	count(configs) > 0
	not first_hour_covered
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the monitoring configuration of %s does not state that it covers the first hour after the deployment", [lc.service_name]),
		[lc.field_ref(c, "/first_hour_coverage") | some c in configs],
	)
}

first_hour_covered if {
	some c in configs
	c.first_hour_coverage == true
}
