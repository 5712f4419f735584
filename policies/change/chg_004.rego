# METADATA
# title: Inside a deployment window and outside freezes
# description: >-
#   Production changes happen when people are there to watch them: inside one of the stage's
#   deployment windows (weekdays and local hours in the window's IANA timezone), outside every
#   change freeze, and inside the change record's planned window when it gives one. Emergency
#   changes are exempt, but every exemption is reported.
# custom:
#   id: GC-CHG-004
#   severity: medium
#   remediation: >-
#     Deploy inside an allowed window and outside freezes (see `deployment_windows` and
#     `deployment_freezes`), or re-plan the change; use an emergency change only for a real
#     emergency.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3]
#   evidence: [change-record, release-manifest]
#   params: [deployment_windows, deployment_freezes]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.chg_004

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

day_names := ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

weekday_index := {"Monday": 0, "Tuesday": 1, "Wednesday": 2, "Thursday": 3, "Friday": 4, "Saturday": 5, "Sunday": 6}

windows := lib.param("deployment_windows")

# "HH:MM" as minutes after midnight; "24:00" ends a window at midnight.
minutes(hhmm) := (to_number(parts[0]) * 60) + to_number(parts[1]) if {
	regex.match(`^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`, hhmm)
	parts := split(hhmm, ":")
}

timezone(window) := object.get(window, "timezone", "UTC")

# The effective time on the window's wall clock: weekday index and minute of the day.
local_time(window) := {"day": weekday_index[time.weekday([input.effective_time_ns, tz])], "minute": (clock[0] * 60) + clock[1]} if {
	tz := timezone(window)
	clock := time.clock([input.effective_time_ns, tz])
}

window_days(window) := {lower(substring(d, 0, 3)) | some d in window.days}

well_formed(window) if {
	minutes(window.start) != minutes(window.end)
	count(window_days(window)) > 0
	count(window_days(window) - {d | some d in day_names}) == 0
}

in_window(window) if {
	well_formed(window)
	minutes(window.start) < minutes(window.end)
	now := local_time(window)
	day_names[now.day] in window_days(window)
	minutes(window.start) <= now.minute
	now.minute < minutes(window.end)
}

# A window past midnight (22:00-02:00) belongs to the day it starts on.
in_window(window) if {
	well_formed(window)
	minutes(window.start) > minutes(window.end)
	now := local_time(window)
	day_names[now.day] in window_days(window)
	now.minute >= minutes(window.start)
}

in_window(window) if {
	well_formed(window)
	minutes(window.start) > minutes(window.end)
	now := local_time(window)
	day_names[(now.day + 6) % 7] in window_days(window)
	now.minute < minutes(window.end)
}

describe(window) := sprintf("%s %s-%s %s (there: %s %02d:%02d)", [
	concat(",", window.days), window.start, window.end, timezone(window),
	day_names[now.day], floor(now.minute / 60), now.minute % 60,
]) if {
	now := local_time(window)
} else := sprintf("%v", [window])

violations contains v if {
	count(windows) == 0
	v := {"msg": sprintf("no deployment window is configured for stage %s", [input.stage]), "evidence": []}
}

violations contains v if {
	count(windows) > 0
	not any_window
	v := {
		"msg": sprintf("deployment at %s is outside every deployment window for stage %s: %s", [
			input.effective_time, input.stage, concat("; ", [describe(w) | some w in windows]),
		]),
		"evidence": [],
	}
}

violations contains v if {
	some window in windows
	not well_formed(window)
	v := {"msg": sprintf("deployment window %v is malformed (days mon..sun, start and end HH:MM)", [window]), "evidence": []}
}

violations contains v if {
	some freeze in lib.param("deployment_freezes")
	inside(freeze)
	v := {
		"msg": sprintf("deployment at %s falls in the change freeze %s to %s (%s)", [
			input.effective_time, freeze.start, freeze.end, object.get(freeze, "reason", "no reason given"),
		]),
		"evidence": [],
	}
}

violations contains v if {
	planned := gov.change_record.planned_window
	planned != null
	not inside(planned)
	v := {
		"msg": sprintf("deployment at %s is outside change %s's planned window %s to %s", [
			input.effective_time, gov.change_record.id, planned.start, planned.end,
		]),
		"evidence": [gov.field_ref(gov.change_record, "/planned_window")],
	}
}

any_window if {
	some window in windows
	in_window(window)
}

inside(period) if {
	time.parse_rfc3339_ns(period.start) <= input.effective_time_ns
	input.effective_time_ns < time.parse_rfc3339_ns(period.end)
}

deny contains result if {
	not gov.emergency
	some v in violations
	result := lib.result(rego.metadata.chain(), v.msg, v.evidence)
}

warn contains result if {
	gov.emergency
	some v in violations
	result := lib.result(rego.metadata.chain(), sprintf("emergency change, exempt: %s", [v.msg]), v.evidence)
}
