package gatecheck.controls.rel_001_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rel_001

release(class) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {"name": "payments", "version": "1.0.0", "class": class, "source": {"path": "evidence/r.json"}}),
	"evidence": {},
}

test_classified_release_passes if {
	count(rel_001.deny) == 0 with input as release("major")
}

test_missing_class_fails if {
	some r in rel_001.deny with input as {"stage": "production", "release": object.union(facts.empty.release, {"name": "x", "version": "1", "class": null, "source": {"path": "evidence/r.json"}})}
	r.control == "GC-REL-001"
	contains(r.msg, "does not state a release class")
}

test_unknown_class_fails if {
	some r in rel_001.deny with input as release("huge")
	contains(r.msg, `"huge"`)
}

test_info_declares_control if {
	rel_001.info.id == "GC-REL-001"
	rel_001.info.stages.production == "fail"
}
