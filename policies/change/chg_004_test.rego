package gatecheck.controls.chg_004_test

import rego.v1

import data.gatecheck.controls.chg_004
import data.gatecheck.governance.fixtures as f

weekdays := ["mon", "tue", "wed", "thu", "fri"]

london := [{"days": weekdays, "start": "09:00", "end": "16:00", "timezone": "Europe/London"}]

doc_at(when) := f.at(f.input_for(f.release({}), {"change_record": [f.change_record({})]}), when)

messages(doc, windows) := {r.msg | some r in chg_004.deny with input as doc with data.gatecheck.config.params.deployment_windows as windows}

test_deployment_inside_the_window_passes if {
	count(messages(doc_at("2026-03-04T10:30:00Z"), london)) == 0
}

test_deployment_on_friday_evening_in_the_teams_timezone_fails if {
	# 17:30 on Friday 6 March in London (GMT): after the 16:00 close.
	messages(doc_at("2026-03-06T17:30:00Z"), london) == {"deployment at 2026-03-06T17:30:00Z is outside every deployment window for stage production: mon,tue,wed,thu,fri 09:00-16:00 Europe/London (there: fri 17:30)"}
}

test_window_follows_summer_time if {
	# 15:30 UTC on Friday 3 July is 16:30 in London (BST): outside, though 15:30 UTC is not.
	count(messages(doc_at("2026-07-03T15:30:00Z"), london)) == 1
	count(messages(doc_at("2026-07-03T14:30:00Z"), london)) == 0
}

test_team_timezone_decides_not_utc if {
	tokyo := [{"days": weekdays, "start": "09:00", "end": "18:00", "timezone": "Asia/Tokyo"}]

	# 10:00 UTC on Friday is 19:00 in Tokyo: outside, though 10:00 UTC is office hours.
	count(messages(doc_at("2026-03-06T10:00:00Z"), tokyo)) == 1

	# 00:30 UTC on Friday is 09:30 in Tokyo: inside.
	count(messages(doc_at("2026-03-06T00:30:00Z"), tokyo)) == 0
}

test_weekend_deployment_fails if {
	count(messages(doc_at("2026-03-07T10:30:00Z"), london)) == 1
}

test_overnight_window_belongs_to_the_day_it_starts if {
	nightly := [{"days": ["sat"], "start": "22:00", "end": "02:00", "timezone": "UTC"}]
	count(messages(doc_at("2026-03-07T23:00:00Z"), nightly)) == 0 # Saturday 23:00
	count(messages(doc_at("2026-03-08T01:30:00Z"), nightly)) == 0 # Sunday 01:30
	count(messages(doc_at("2026-03-08T02:00:00Z"), nightly)) == 1 # Sunday 02:00: closed
	count(messages(doc_at("2026-03-07T01:30:00Z"), nightly)) == 1 # Saturday 01:30: Friday's night
}

test_any_of_several_windows_is_enough if {
	two := array.concat(london, [{"days": ["sat"], "start": "10:00", "end": "12:00", "timezone": "UTC"}])
	count(messages(doc_at("2026-03-07T10:30:00Z"), two)) == 0
}

test_deployment_inside_a_freeze_fails if {
	freeze := [{"start": "2026-03-02T00:00:00+01:00", "end": "2026-03-09T00:00:00+01:00", "reason": "quarter close"}]
	msgs := messages(doc_at("2026-03-04T10:30:00Z"), london) with data.gatecheck.config.params.deployment_freezes as freeze
	msgs == {"deployment at 2026-03-04T10:30:00Z falls in the change freeze 2026-03-02T00:00:00+01:00 to 2026-03-09T00:00:00+01:00 (quarter close)"}
}

test_freeze_end_is_exclusive if {
	freeze := [{"start": "2026-03-01T00:00:00Z", "end": "2026-03-04T10:30:00Z", "reason": "x"}]
	count(messages(doc_at("2026-03-04T10:30:00Z"), london)) == 0 with data.gatecheck.config.params.deployment_freezes as freeze
}

test_outside_the_changes_planned_window_fails if {
	planned := {"start": "2026-03-04T12:00:00Z", "end": "2026-03-04T14:00:00Z"}
	doc := f.at(f.input_for(f.release({}), {"change_record": [f.change_record({"planned_window": planned})]}), "2026-03-04T10:30:00Z")
	messages(doc, london) == {"deployment at 2026-03-04T10:30:00Z is outside change CHG100's planned window 2026-03-04T12:00:00Z to 2026-03-04T14:00:00Z"}
	some r in chg_004.deny with input as doc with data.gatecheck.config.params.deployment_windows as london
	r.evidence == [{"path": "evidence/change.yaml", "pointer": "/planned_window"}]
}

test_emergency_change_is_exempt_but_reported if {
	doc := f.at(f.input_for(f.release({"class": "emergency"}), {}), "2026-03-06T22:41:00Z")
	count(messages(doc, london)) == 0
	some r in chg_004.warn with input as doc with data.gatecheck.config.params.deployment_windows as london
	startswith(r.msg, "emergency change, exempt: deployment at 2026-03-06T22:41:00Z is outside every deployment window")
}

test_no_configured_window_fails if {
	messages(doc_at("2026-03-04T10:30:00Z"), []) == {"no deployment window is configured for stage production"}
}

test_malformed_window_fails_and_never_matches if {
	bad := [{"days": ["monday", "funday"], "start": "9am", "end": "16:00"}]
	msgs := messages(doc_at("2026-03-04T10:30:00Z"), bad)
	count(msgs) == 2
	some m in msgs
	contains(m, "is malformed")
}

test_default_window_is_weekday_office_hours_utc if {
	count(chg_004.deny) == 0 with input as doc_at("2026-03-04T10:30:00Z")
	count(chg_004.deny) == 1 with input as doc_at("2026-03-04T16:00:00Z")
}

test_info_declares_control if {
	chg_004.info.id == "GC-CHG-004"
}
