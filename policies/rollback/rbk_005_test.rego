package gatecheck.controls.rbk_005_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rbk_005

# 2026-11-27T10:00:00Z
now_ns := 1795773600000000000

release := object.union(facts.empty.release, {
	"name": "payments-api", "version": "1.4.0",
	"service": object.union(facts.empty.service, {"name": "payments"}),
	"source": {"path": "evidence/r.json"},
})

rollback(overrides) := object.union(
	object.union(facts.empty.rollback, {
		"version": "1.3.1",
		"environment": "production",
		"rolled_back_at": "2026-10-14T08:12:00Z",
		"reason": "p95 latency above criterion",
		"incident_notification": {"reference": "INC-20431", "notified_at": "2026-10-14T08:20:00Z"},
		"root_cause": {"reference": "https://wiki.example.org/rca/INC-20431", "completed_at": "2026-10-17T15:00:00Z", "changed": ["GC-TST-003"]},
	}),
	overrides,
)

history(rollbacks, overrides) := object.union(
	object.union(facts.empty.rollback_history, {
		"service": "payments",
		"period": {"start": "2026-08-01T00:00:00Z", "end": "2026-11-27T06:00:00Z"},
		"rollbacks": rollbacks,
		"pointer": "",
		"source": {"path": "evidence/rollbacks.json"},
	}),
	overrides,
)

run(histories) := {
	"stage": "production",
	"effective_time_ns": now_ns,
	"release": release,
	"evidence": {"rollback_history": histories},
}

test_root_caused_rollback_passes if {
	count(rbk_005.deny) == 0 with input as run([history([rollback({})], {})])
}

test_history_without_rollbacks_passes if {
	count(rbk_005.deny) == 0 with input as run([history([], {})])
}

test_old_rollback_outside_the_lookback_is_not_judged if {
	old := rollback({"rolled_back_at": "2026-08-02T00:00:00Z", "incident_notification": null, "root_cause": null})
	count(rbk_005.deny) == 0 with input as run([history([old], {})])
}

test_rca_not_yet_due_passes if {
	fresh := object.union(rollback({"rolled_back_at": "2026-11-25T08:00:00Z"}), {"root_cause": null})
	count(rbk_005.deny) == 0 with input as run([history([fresh], {})])
}

test_no_history_fails if {
	some r in rbk_005.deny with input as run([])
	contains(r.msg, "no rollback history of service payments covers the last 90 days")
}

test_history_of_another_service_does_not_count if {
	count(rbk_005.deny) == 1 with input as run([history([], {"service": "ledger"})])
}

test_history_not_reaching_back_far_enough_fails if {
	count(rbk_005.deny) == 1 with input as run([history([], {"period": {"start": "2026-10-01T00:00:00Z"}})])
}

test_stale_history_fails if {
	count(rbk_005.deny) == 1 with input as run([history([], {"period": {"end": "2026-11-25T06:00:00Z"}})])
}

test_history_ending_after_the_effective_time_fails if {
	count(rbk_005.deny) == 1 with input as run([history([], {"period": {"end": "2026-11-28T06:00:00Z"}})])
}

test_history_without_period_fails if {
	count(rbk_005.deny) == 1 with input as run([object.union(history([], {}), {"period": null})])
}

test_rollback_without_notification_fails if {
	some r in rbk_005.deny with input as run([history([object.union(rollback({}), {"incident_notification": null})], {})])
	contains(r.msg, "the rollback of 1.3.1 of service payments: it has no incident notification reference")
	r.evidence[0].pointer == "/rollbacks/0"
}

test_notification_without_reference_fails if {
	count(rbk_005.deny) == 1 with input as run([history([rollback({"incident_notification": {"reference": " "}})], {})])
}

test_rollback_without_root_cause_past_due_fails if {
	some r in rbk_005.deny with input as run([history([object.union(rollback({}), {"root_cause": null})], {})])
	contains(r.msg, "no completed root-cause record, due within 5 days (by 2026-10-19T08:12:00Z)")
}

test_root_cause_without_completion_time_fails if {
	rca := object.union(facts.empty.root_cause, {"reference": "https://wiki.example.org/rca/INC-20431", "changed": ["GC-TST-003"]})
	count(rbk_005.deny) == 1 with input as run([history([object.union(object.union(rollback({}), {"root_cause": null}), {"root_cause": rca})], {})])
}

test_late_root_cause_fails if {
	some r in rbk_005.deny with input as run([history([rollback({"root_cause": {"completed_at": "2026-10-25T10:00:00Z"}})], {})])
	contains(r.msg, "after it was due")
}

test_root_cause_naming_no_change_fails if {
	rca := object.union(facts.empty.root_cause, {"reference": "https://wiki.example.org/rca/INC-20431", "completed_at": "2026-10-17T15:00:00Z"})
	some r in rbk_005.deny with input as run([history([object.union(object.union(rollback({}), {"root_cause": null}), {"root_cause": rca})], {})])
	contains(r.msg, "names no checklist or control")
}

test_rollback_without_time_fails if {
	some r in rbk_005.deny with input as run([history([object.union(rollback({}), {"rolled_back_at": null})], {})])
	contains(r.msg, "gives no rolled_back_at time")
}

test_rollback_dated_after_the_effective_time_fails if {
	some r in rbk_005.deny with input as run([history([rollback({"rolled_back_at": "2026-11-28T08:00:00Z"})], {})])
	contains(r.msg, "after the effective time")
}

test_root_cause_completed_after_the_effective_time_fails if {
	late := rollback({"rolled_back_at": "2026-11-24T08:00:00Z", "root_cause": {"completed_at": "2026-11-28T08:00:00Z"}})
	some r in rbk_005.deny with input as run([history([late], {})])
	contains(r.msg, "after the effective time")
}
