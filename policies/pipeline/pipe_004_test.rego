package gatecheck.controls.pipe_004_test

import rego.v1

import data.gatecheck.controls.pipe_004

import data.gatecheck.test_facts as facts

event(i, actor, t) := object.union(facts.empty.audit_event, {"index": i, "actor": actor, "time": t, "action": "deploy", "pointer": sprintf("/events/%d", [i])})

# The facts of an audit log of `events` whose chain verified (its head is the last event's
# hash; an empty log has none), with `overrides`.
log(events, overrides) := object.union(
	object.union(facts.empty.pipeline_audit_log, {
		"pipeline": "payments/deploy",
		"event_count": count(events),
		"events": events,
		"hash_algorithm": "sha256",
		"chain_valid": true,
		"chain_broken_at": null,
		"chain_error": null,
		"head_hash": head_hash(events),
		"signed": false,
		"verified": false,
		"verification_error": null,
		"pointer": "",
		"source": {"path": "evidence/audit.json", "name": "audit.json"},
	}),
	overrides,
)

head_hash(events) := null if {
	count(events) == 0
} else := "9f2c4e51a1c0d7b3e8f6a2d4c1b0e9f8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2"

good := [event(0, "ci-bot", "2026-03-01T10:00:00Z"), event(1, "alice", "2026-03-01T10:05:00Z")]

run(logs) := {"stage": "production", "release": {"name": "payments", "version": "2.4.0"}, "evidence": {"pipeline_audit_log": logs}}

test_complete_intact_log_passes if {
	count(pipe_004.deny) == 0 with input as run([log(good, {})])
}

test_missing_log_fails if {
	some r in pipe_004.deny with input as run([])
	r.msg == "the bundle has no pipeline audit log"
}

test_empty_log_fails if {
	some r in pipe_004.deny with input as run([log([], {})])
	contains(r.msg, "records no event")
}

test_event_without_actor_fails if {
	events := [event(0, "ci-bot", "2026-03-01T10:00:00Z"), event(1, null, "2026-03-01T10:05:00Z")]
	some r in pipe_004.deny with input as run([log(events, {})])
	r.msg == "1 event in audit.json has no actor (events 1)"
	r.evidence[0].pointer == "/events/1"
}

test_event_without_time_fails if {
	events := [event(0, "ci-bot", null), event(1, "alice", null)]
	some r in pipe_004.deny with input as run([log(events, {})])
	r.msg == "2 events in audit.json have no time (events 0, 1)"
}

test_broken_chain_fails if {
	broken := log(good, {"chain_valid": false, "chain_broken_at": 1, "chain_error": "event 1's prev_hash is not the hash of event 0", "head_hash": null})
	some r in pipe_004.deny with input as run([broken])
	contains(r.msg, "broken at event 1")
	r.evidence[0].pointer == "/events/1"
}

test_unverified_signature_fails if {
	signed := log(good, {"signed": true, "verification_error": "no keys configured", "pointer": "/payload"})
	some r in pipe_004.deny with input as run([signed])
	contains(r.msg, "signature does not verify")
}

test_info_declares_warn_in_production if {
	pipe_004.info.stages.production == "warn"
}
