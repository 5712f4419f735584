# METADATA
# title: Stabilization reviewed
# description: >-
#   Once `stabilization_hours` have passed since the deployment, a stabilization review of
#   this release covers every item of `stabilization_review_items` (dashboards, support
#   tickets and user feedback, error logs), was held after the period ended and no later than
#   the effective time, and schedules a retrospective. While the period is still running the
#   control is not applicable; when nothing shows when the release was deployed, it fails.
# custom:
#   id: GC-VER-004
#   severity: medium
#   remediation: >-
#     After the stabilization period, review the service's dashboards, support tickets and
#     error logs, schedule the retrospective, and add the review (`kind: StabilizationReview`
#     naming this release, with `deployed_at`, `reviewed_at`, `reviewed` and `retrospective`).
#   frameworks:
#     soc2: [CC7.3, CC8.1]
#     iso27001: [A.8.32, A.8.16]
#     nist-800-53: [CM-4, SI-4]
#   evidence: [stabilization-review, pipeline-audit-log]
#   params: [stabilization_hours, stabilization_review_items, deployment_actions, stage_environments]
#   stages:
#     post-deploy: warn
package gatecheck.controls.ver_004

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc
import data.gatecheck.operations as ops

info := lib.control_info(rego.metadata.chain())

release_label := sprintf("%s %s", [lc.release.name, lc.release.version])

reviews := [r | some r in lib.evidence("stabilization_review"); names_this_release(r)]

names_this_release(r) if {
	ref := lc.get(r, "release", null)
	is_object(ref)
	ref.name == lc.release.name
	ref.version == lc.release.version
}

period_ns := lib.param("stabilization_hours") * lib.hour_ns

# When the release was deployed to the target environment: the reviews' deployed_at when
# there is a review (a review that leaves it out does not borrow another source's time),
# else the deployment events of its pipeline to that environment.
deployed_times := [t | some r in reviews; t := lc.get(r, "deployed_at", null); is_string(t)] if {
	count(reviews) > 0
} else := [d.event.time | some d in ops.deployment_events; lc.get(d.event, "environment", null) == lc.target_environment]

deployed_ns := max([lc.ns(t) | some t in deployed_times]) if count(deployed_times) > 0

in_period if input.effective_time_ns < deployed_ns + period_ns

not_applicable contains msg if {
	in_period
	msg := sprintf("the stabilization period of %d hours after the deployment at %s is still running", [lib.param("stabilization_hours"), time.format(deployed_ns)])
}

deny contains result if {
	not in_period
	count(reviews) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no stabilization review of %s after its first %d hours", [release_label, lib.param("stabilization_hours")]),
		[lib.ref(r) | some r in lib.evidence("stabilization_review")],
	)
}

deny contains result if {
	not in_period
	count(reviews) > 0
	count(lc.newest(reviews, "reviewed_at")) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the stabilization review of %s gives no reviewed_at time", [release_label]),
		[lib.ref(r) | some r in reviews],
	)
}

findings contains "it gives no deployed_at time" if {
	some r in current
	not is_string(lc.get(r, "deployed_at", null))
}

findings contains sprintf("it was held at %s, after the effective time", [r.reviewed_at]) if {
	some r in current
	lc.ns(r.reviewed_at) > input.effective_time_ns
}

findings contains sprintf("it was held at %s, before the stabilization period ended at %s", [r.reviewed_at, time.format(lc.ns(r.deployed_at) + period_ns)]) if {
	some r in current
	is_string(lc.get(r, "deployed_at", null))
	lc.ns(r.reviewed_at) < lc.ns(r.deployed_at) + period_ns
}

findings contains sprintf("it did not review %s", [concat(", ", sort(missing))]) if {
	some r in current
	done := {lower(trim_space(item)) | some item in lc.get(r, "reviewed", [])}
	missing := {item | some item in lib.param("stabilization_review_items"); not lower(item) in done}
	count(missing) > 0
}

findings contains "it schedules no retrospective" if {
	some r in current
	not is_string(lc.get(lc.get(r, "retrospective", {}), "scheduled_at", null))
}

# The newest review (several when they share the newest time).
current := lc.newest(reviews, "reviewed_at")

deny contains result if {
	not in_period
	some msg in findings
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the stabilization review of %s is incomplete: %s", [release_label, msg]),
		[lib.ref(r) | some r in current],
	)
}
