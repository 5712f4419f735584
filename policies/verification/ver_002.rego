# METADATA
# title: Latency within rollback criteria
# description: >-
#   After the deployment, the service's observed p95 and p99 latency are within the
#   release's rollback criteria (`rollback.latency_p95_ms`, `rollback.latency_p99_ms`) and no
#   more than `ver_latency_tolerance` above the pre-deployment baseline. A failure at stage
#   post-deploy makes the decision `rollback`.
# custom:
#   id: GC-VER-002
#   severity: critical
#   remediation: >-
#     Roll the deployment back, then find the cause of the slowdown before redeploying.
#   frameworks:
#     soc2: [CC7.2, CC8.1]
#     iso27001: [A.8.16, A.8.32]
#     nist-800-53: [CM-3, CM-4, SI-4]
#   evidence: [deployment-metrics, release-manifest]
#   params: [ver_latency_tolerance]
#   stages:
#     post-deploy: fail
package gatecheck.controls.ver_002

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc
import data.gatecheck.verification as ver

info := lib.control_info(rego.metadata.chain())

label := {"latency_p95_ms": "p95", "latency_p99_ms": "p99"}

baseline(m, key) := value if {
	value := lc.get(lc.get(m, "baseline", {}), key, null)
	is_number(value)
}

deny contains result if {
	count(ver.metrics) == 0
	result := lib.result(rego.metadata.chain(), ver.missing_metrics_msg, ver.other_metrics_refs)
}

deny contains result if {
	some m in ver.metrics
	lib.missing(m, "latency_p95_ms")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the deployment metrics for %s report no p95 latency", [ver.window(m)]),
		[lc.field_ref(m, "/latency_p95_ms")],
	)
}

# A p99 criterion or baseline without an observed p99 cannot be checked.
deny contains result if {
	some m in ver.metrics
	lib.missing(m, "latency_p99_ms")
	judged_by := [w | ver.criterion("latency_p99_ms"); w := "rollback criterion"]
	baselined := [w | baseline(m, "latency_p99_ms"); w := "baseline"]
	count(array.concat(judged_by, baselined)) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the deployment metrics for %s report no p99 latency, but a p99 %s is set", [ver.window(m), concat(" and ", array.concat(judged_by, baselined))]),
		[lc.field_ref(m, "/latency_p99_ms")],
	)
}

deny contains result if {
	some m in ver.metrics
	some key, name in label
	observed := m[key]
	is_number(observed)
	limit := ver.criterion(key)
	observed > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s latency %v ms in %s is above the rollback criterion %v ms", [name, observed, ver.window(m), limit]),
		[lc.field_ref(m, sprintf("/%s", [key])), lib.release_ref(sprintf("/rollback/%s", [key]))],
	)
}

deny contains result if {
	some m in ver.metrics
	some key, name in label
	observed := m[key]
	is_number(observed)
	base := baseline(m, key)
	limit := base * (1 + lib.param("ver_latency_tolerance"))
	observed > limit
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s latency %v ms in %s is above the baseline %v ms + %v%% (limit %v ms)", [name, observed, ver.window(m), base, lib.param("ver_latency_tolerance") * 100, round(limit * 100) / 100]),
		[lc.field_ref(m, sprintf("/%s", [key])), lc.field_ref(m, sprintf("/baseline/%s", [key]))],
	)
}

deny contains result if {
	some m in ver.metrics
	not any_reference(m)
	result := lib.result(
		rego.metadata.chain(),
		"neither a latency rollback criterion nor a baseline latency is given, so latency cannot be judged",
		[lib.release_ref("/rollback"), lc.field_ref(m, "/baseline")],
	)
}

any_reference(_) if {
	some key, _ in label
	ver.criterion(key)
}

any_reference(m) if {
	some key, _ in label
	baseline(m, key)
}
