package gatecheck.controls.ver_004_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.ver_004

# 2026-11-29T10:00:00Z: 48 hours after the deployment
now_ns := 1795946400000000000

release := object.union(facts.empty.release, {
	"name": "payments-api", "version": "1.4.0",
	"deployment": object.union(facts.empty.deployment, {"environment": "production"}),
	"source": {"path": "evidence/r.json"},
})

review(overrides) := object.union(
	object.union(facts.empty.stabilization_review, {
		"release": {"name": "payments-api", "version": "1.4.0"},
		"service": "payments",
		"environment": "production",
		"deployed_at": "2026-11-27T10:30:00Z",
		"reviewed_at": "2026-11-28T11:00:00Z",
		"reviewer": "s.nakamura@example.org",
		"reviewed": ["dashboards", "support-tickets", "error-logs"],
		"retrospective": object.union(facts.empty.retrospective, {"scheduled_at": "2026-12-01T14:00:00Z"}),
		"pointer": "",
		"source": {"path": "evidence/review.json"},
	}),
	overrides,
)

# The audit log of a run that deployed this release to production at `time`.
deploy_log(time) := object.union(facts.empty.pipeline_audit_log, {
	"pipeline": "release.yml",
	"run_id": "9412",
	"release": {"name": "payments-api", "version": "1.4.0"},
	"event_count": 1,
	"events": [object.union(facts.empty.audit_event, {
		"index": 0, "actor": "release-bot", "action": "deploy.production", "time": time,
		"environment": "production", "pointer": "/events/0",
	})],
	"hash_algorithm": "sha256",
	"chain_valid": true,
	"head_hash": "9f2c4e51a1c0d7b3e8f6a2d4c1b0e9f8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2",
	"pointer": "",
	"source": {"path": "evidence/audit.json"},
})

run(reviews, logs, at) := {
	"stage": "post-deploy",
	"effective_time_ns": at,
	"release": release,
	"evidence": {"stabilization_review": reviews, "pipeline_audit_log": logs},
}

test_complete_review_after_the_period_passes if {
	count(ver_004.deny) == 0 with input as run([review({})], [], now_ns)
	count(ver_004.not_applicable) == 0 with input as run([review({})], [], now_ns)
}

test_review_items_compare_trimmed_and_case_folded if {
	count(ver_004.deny) == 0 with input as run([review({"reviewed": [" Dashboards", "SUPPORT-TICKETS", "error-logs "]})], [], now_ns)
}

test_within_the_period_is_not_applicable if {
	# 2026-11-27T12:00:00Z, 90 minutes after the deployment the pipeline logged
	at := 1795780800000000000
	count(ver_004.deny) == 0 with input as run([], [deploy_log("2026-11-27T10:30:00Z")], at)
	some msg in ver_004.not_applicable with input as run([], [deploy_log("2026-11-27T10:30:00Z")], at)
	contains(msg, "is still running")
}

test_no_review_after_the_period_fails if {
	some r in ver_004.deny with input as run([], [deploy_log("2026-11-27T10:30:00Z")], now_ns)
	contains(r.msg, "no stabilization review of payments-api 1.4.0 after its first 24 hours")
}

test_no_review_and_no_deployment_time_fails if {
	count(ver_004.deny) == 1 with input as run([], [], now_ns)
	count(ver_004.not_applicable) == 0 with input as run([], [], now_ns)
}

test_review_of_another_release_does_not_count if {
	count(ver_004.deny) == 1 with input as run([review({"release": {"name": "payments-api", "version": "1.3.2"}})], [], now_ns)
}

test_review_naming_no_release_does_not_count if {
	count(ver_004.deny) == 1 with input as run([object.union(review({}), {"release": null})], [], now_ns)
}

test_missing_item_fails if {
	some r in ver_004.deny with input as run([review({"reviewed": ["dashboards", "error-logs"]})], [], now_ns)
	contains(r.msg, "it did not review support-tickets")
}

test_missing_reviewed_list_fails if {
	count(ver_004.deny) == 1 with input as run([object.union(review({}), {"reviewed": []})], [], now_ns)
}

test_missing_retrospective_fails if {
	some r in ver_004.deny with input as run([object.union(review({}), {"retrospective": null})], [], now_ns)
	contains(r.msg, "schedules no retrospective")
}

test_retrospective_without_time_fails if {
	count(ver_004.deny) == 1 with input as run([object.union(object.union(review({}), {"retrospective": null}), {"retrospective": object.union(facts.empty.retrospective, {"reference": "notes"})})], [], now_ns)
}

test_premature_review_fails if {
	some r in ver_004.deny with input as run([review({"reviewed_at": "2026-11-27T18:00:00Z"})], [], now_ns)
	contains(r.msg, "before the stabilization period ended at 2026-11-28T10:30:00Z")
}

test_review_without_reviewed_at_fails if {
	some r in ver_004.deny with input as run([object.union(review({}), {"reviewed_at": null})], [], now_ns)
	contains(r.msg, "gives no reviewed_at time")
}

test_review_without_deployed_at_fails if {
	some r in ver_004.deny with input as run([object.union(review({}), {"deployed_at": null})], [deploy_log("2026-11-27T10:30:00Z")], now_ns)
	contains(r.msg, "gives no deployed_at time")
}

test_review_dated_after_the_effective_time_fails if {
	some r in ver_004.deny with input as run([review({"reviewed_at": "2026-11-30T11:00:00Z"})], [], now_ns)
	contains(r.msg, "after the effective time")
}

test_review_without_deployed_at_does_not_borrow_the_pipeline_time if {
	# 2026-11-27T12:00:00Z: inside the period by the pipeline's deployment event
	at := 1795780800000000000
	review_only := object.union(review({"reviewed_at": "2026-11-27T11:30:00Z"}), {"deployed_at": null})
	count(ver_004.not_applicable) == 0 with input as run([review_only], [deploy_log("2026-11-27T10:30:00Z")], at)
	count(ver_004.deny) > 0 with input as run([review_only], [deploy_log("2026-11-27T10:30:00Z")], at)
}
