# METADATA
# title: Error rate within rollback criteria
# description: >-
#   After the deployment, the service's observed error rate is within the release's rollback
#   criterion (`rollback.error_rate` in the release manifest) and no more than
#   `ver_error_rate_tolerance` above the pre-deployment baseline. A failure at stage
#   post-deploy makes the decision `rollback`.
# custom:
#   id: GC-VER-001
#   severity: critical
#   remediation: >-
#     Roll the deployment back, then find the cause of the errors before redeploying.
#   frameworks:
#     soc2: [CC7.2, CC8.1]
#     iso27001: [A.8.16, A.8.32]
#     nist-800-53: [CM-3, CM-4, SI-4]
#   evidence: [deployment-metrics, release-manifest]
#   params: [ver_error_rate_tolerance]
#   stages:
#     post-deploy: fail
package gatecheck.controls.ver_001

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc
import data.gatecheck.verification as ver

info := lib.control_info(rego.metadata.chain())

deny contains result if {
	count(ver.metrics) == 0
	result := lib.result(rego.metadata.chain(), ver.missing_metrics_msg, ver.other_metrics_refs)
}

deny contains result if {
	some m in ver.metrics
	lib.missing(m, "error_rate")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the deployment metrics for %s report no error rate", [ver.window(m)]),
		[lc.field_ref(m, "/error_rate")],
	)
}

deny contains result if {
	some m in ver.metrics
	is_number(m.error_rate)
	limit := ver.criterion("error_rate")
	m.error_rate > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("error rate %v in %s is above the rollback criterion %v", [m.error_rate, ver.window(m), limit]),
		[lc.field_ref(m, "/error_rate"), lib.release_ref("/rollback/error_rate")],
	)
}

deny contains result if {
	some m in ver.metrics
	is_number(m.error_rate)
	base := lc.get(lc.get(m, "baseline", {}), "error_rate", null)
	is_number(base)
	limit := base + lib.param("ver_error_rate_tolerance")
	m.error_rate > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("error rate %v in %s is above the baseline %v + %v (limit %v)", [m.error_rate, ver.window(m), base, lib.param("ver_error_rate_tolerance"), limit]),
		[lc.field_ref(m, "/error_rate"), lc.field_ref(m, "/baseline/error_rate")],
	)
}

deny contains result if {
	some m in ver.metrics
	not ver.criterion("error_rate")
	not is_number(lc.get(lc.get(m, "baseline", {}), "error_rate", null))
	result := lib.result(
		rego.metadata.chain(),
		"neither a rollback criterion for the error rate nor a baseline error rate is given, so the error rate cannot be judged",
		[lib.release_ref("/rollback/error_rate"), lc.field_ref(m, "/baseline")],
	)
}
