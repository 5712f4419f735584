package gatecheck.controls.chg_003_test

import rego.v1

import data.gatecheck.controls.chg_003
import data.gatecheck.governance.fixtures as f

documented := {
	"justification": "Retries post settlements twice.",
	"incident_ref": "INC0098765",
	"postmortem_due": "2026-03-12T00:00:00Z",
}

emergency(section) := f.input_for(
	f.release({"class": "emergency"}),
	{"change_record": [f.change_record({"status": "emergency-approved", "emergency": section})]},
)

messages(doc) := {r.msg | some r in chg_003.deny with input as doc}

test_documented_emergency_change_passes if {
	count(chg_003.deny) == 0 with input as emergency(documented)
	count(chg_003.not_applicable) == 0 with input as emergency(documented)
}

test_emergency_change_without_a_postmortem_date_fails if {
	doc := emergency(object.union(documented, {"postmortem_due": null}))
	messages(doc) == {"emergency change CHG100 has no post-mortem due date (emergency.postmortem_due)"}
	some r in chg_003.deny with input as doc
	r.evidence == [{"path": "evidence/change.yaml", "pointer": "/emergency/postmortem_due"}]
}

test_postmortem_due_too_late_fails if {
	doc := emergency(object.union(documented, {"postmortem_due": "2026-03-20T00:00:00Z"}))
	messages(doc) == {"emergency change CHG100 has its post-mortem due 2026-03-20T00:00:00Z, more than 10 days after 2026-03-04T10:30:00Z"}
}

test_blank_justification_and_missing_incident_fail if {
	doc := emergency(object.union(documented, {"justification": "  ", "incident_ref": null}))
	messages(doc) == {
		"emergency change CHG100 has no justification (emergency.justification)",
		"emergency change CHG100 has no incident reference (emergency.incident_ref)",
	}
}

test_emergency_change_without_emergency_section_fails if {
	messages(emergency(null)) == {"emergency change CHG100 has no emergency section (justification, incident, post-mortem)"}
}

test_emergency_release_without_change_record_fails if {
	messages(f.input_for(f.release({"class": "emergency"}), {})) == {"emergency release without its change record CHG100"}
}

test_emergency_approved_change_record_makes_it_an_emergency if {
	doc := f.input_for(f.release({}), {"change_record": [f.change_record({"status": "emergency-approved"})]})
	count(chg_003.deny) == 1 with input as doc
}

test_standard_change_is_not_applicable if {
	doc := f.input_for(f.release({}), {"change_record": [f.change_record({})]})
	count(chg_003.deny) == 0 with input as doc
	chg_003.not_applicable == {"the release is not an emergency change"} with input as doc
}

test_info_declares_control if {
	chg_003.info.id == "GC-CHG-003"
}
