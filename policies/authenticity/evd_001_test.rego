package gatecheck.controls.evd_001_test

import rego.v1

import data.gatecheck.controls.evd_001

evidence_file(authenticated, reason) := {
	"path": "evidence/aa.json",
	"type": "approval",
	"name": "approval.json",
	"authenticated": authenticated,
	"producer": null,
	"identity": null,
	"reason": reason,
	"excluded": authenticated == false,
}

doc(stage, files) := {
	"stage": stage,
	"effective_time_ns": 0,
	"release": {"name": "r", "version": "1.0.0", "source": {"path": "evidence/r.json"}},
	"evidence": {},
	"authenticity": {"required": stage == "production", "evidence": files, "approvals": []},
}

test_unsigned_file_fails_at_production if {
	results := evd_001.deny with input as doc("production", [evidence_file(false, "not signed")])
	count(results) == 1
	some r in results
	contains(r.msg, "not signed")
	r.control == "GC-EVD-001"
}

test_authenticated_files_pass_at_production if {
	count(evd_001.deny) == 0 with input as doc("production", [evidence_file(true, null)])
}

test_unsigned_file_only_warns_at_staging if {
	count(evd_001.deny) == 0 with input as doc("staging", [evidence_file(false, "not signed")])
	count(evd_001.warn) == 1 with input as doc("staging", [evidence_file(false, "not signed")])
}

test_missing_authenticity_record_fails_at_production if {
	count(evd_001.deny) == 1 with input as object.remove(doc("production", []), ["authenticity"])
}
