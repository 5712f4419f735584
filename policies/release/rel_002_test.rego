package gatecheck.controls.rel_002_test

import rego.v1

import data.gatecheck.controls.rel_002
import data.gatecheck.governance.fixtures as f

messages(doc) := {r.msg | some r in rel_002.deny with input as doc}

with_change(rel, records) := f.input_for(rel, {"change_record": records})

test_approved_change_record_for_this_release_passes if {
	count(rel_002.deny) == 0 with input as with_change(f.release({}), [f.change_record({})])
}

test_release_without_change_id_fails if {
	messages(with_change(f.release({"change_id": null}), [f.change_record({})])) == {"the release manifest names no change record (change_id)"}
}

test_missing_change_record_fails if {
	messages(f.input_for(f.release({}), {})) == {"change record CHG100 is not in the bundle"}
}

test_change_record_with_another_id_fails if {
	messages(with_change(f.release({}), [f.change_record({"id": "CHG099"})])) == {"change record CHG100 is not in the bundle (it holds CHG099)"}
}

test_change_record_for_another_version_fails if {
	record := f.change_record({"release": {"name": "payments-api", "version": "2.3.0"}})
	doc := with_change(f.release({}), [record])
	messages(doc) == {"change record CHG100 covers payments-api 2.3.0, not this release payments-api 2.4.0"}
	some r in rel_002.deny with input as doc
	r.evidence == [{"path": "evidence/change.yaml", "pointer": "/release"}]
}

test_change_record_for_another_release_fails if {
	record := f.change_record({"release": {"name": "ledger", "version": "2.4.0"}})
	count(rel_002.deny) == 1 with input as with_change(f.release({}), [record])
}

test_submitted_change_fails if {
	messages(with_change(f.release({}), [f.change_record({"status": "submitted"})])) == {`change record CHG100 has status "submitted"; a standard release needs ["approved"]`}
}

test_emergency_release_needs_emergency_approval if {
	doc := with_change(f.release({"class": "emergency"}), [f.change_record({"status": "emergency-approved"})])
	count(rel_002.deny) == 0 with input as doc
	count(rel_002.deny) == 1 with input as with_change(f.release({"class": "emergency"}), [f.change_record({"status": "submitted"})])
}

test_emergency_approval_does_not_approve_a_standard_release if {
	count(rel_002.deny) == 1 with input as with_change(f.release({}), [f.change_record({"status": "emergency-approved"})])
}

test_duplicate_change_records_fail if {
	msgs := messages(with_change(f.release({}), [f.change_record({}), f.change_record({"status": "closed"})]))
	"the bundle holds 2 change records with id CHG100; keep the current one" in msgs
}

test_info_declares_control if {
	rel_002.info.id == "GC-REL-002"
	rel_002.info.stages.production == "fail"
}
