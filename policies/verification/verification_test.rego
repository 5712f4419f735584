package gatecheck.verification_test

import rego.v1

import data.gatecheck.verification as ver

metrics(service) := {
	"service": service,
	"release": {"name": "payments", "version": "2.4.0"},
	"window": {"start": "2026-03-01T12:00:00Z", "end": "2026-03-01T12:30:00Z"},
	"error_rate": 0.004,
	"pointer": "",
	"source": {"path": "evidence/metrics.json"},
}

run(items) := {
	"stage": "post-deploy",
	"release": {"name": "payments", "version": "2.4.0", "service": {"name": "payments-api"}, "source": {"path": "evidence/r.json"}},
	"evidence": {"deployment_metrics": items},
}

test_metrics_naming_no_service_apply_to_the_release_service if {
	count(ver.metrics) == 2 with input as run([metrics(null), metrics("  ")])
	count(ver.metrics) == 1 with input as run([metrics("payments-api"), metrics("reports")])
}
