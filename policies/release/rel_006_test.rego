package gatecheck.controls.rel_006_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.rel_006

# 2026-11-27T10:00:00Z
now_ns := 1795773600000000000

# The release manifest, each change with the fields the parser writes for it.
manifest(overrides) := object.union(given, {"changes": [object.union(facts.empty.included_change, c) | some c in given.changes]}) if {
	given := object.union(
		object.union(facts.empty.release, {
			"name": "payments-api",
			"version": "1.4.0",
			"change_id": "CHG1",
			"feature_freeze": "2026-11-20T17:00:00Z",
			"changes": [
				{"id": "PR-101", "merged_at": "2026-11-18T10:00:00Z"},
				{"id": "PR-102", "merged_at": "2026-11-19T15:30:00Z"},
			],
			"source": {"path": "evidence/release.json"},
		}),
		overrides,
	)
}

exception(overrides) := object.union(
	object.union(facts.empty.approval, {
		"approver": "s.nakamura@example.org",
		"person": "s.nakamura",
		"person_roles": ["service-owner"],
		"roles": [],
		"decision": "approved",
		"time": "2026-11-21T09:00:00Z",
		"change_id": "CHG1",
		"release_version": "1.4.0",
		"bundle_digest": null,
		"kind": "freeze-exception",
		"changes": ["PR-103"],
		"comment": null,
		"pointer": "",
		"source": {"path": "evidence/exception.json"},
	}),
	overrides,
)

run(release, approvals) := {
	"stage": "production",
	"effective_time_ns": now_ns,
	"release": release,
	"bundle": {"digest": "sha256:00"},
	"evidence": {"approval": approvals},
}

late := manifest({"changes": [
	{"id": "PR-101", "merged_at": "2026-11-18T10:00:00Z"},
	{"id": "PR-103", "merged_at": "2026-11-22T11:00:00Z"},
]})

test_changes_merged_before_the_freeze_pass if {
	count(rel_006.deny) == 0 with input as run(manifest({}), [])
}

test_change_merged_after_the_freeze_fails if {
	some r in rel_006.deny with input as run(late, [])
	contains(r.msg, "change PR-103 was merged at 2026-11-22T11:00:00Z, after the feature freeze")
	r.evidence[0].pointer == "/changes/1/merged_at"
}

test_approved_freeze_exception_for_the_change_passes if {
	count(rel_006.deny) == 0 with input as run(late, [exception({})])
}

test_exception_for_another_change_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"changes": ["PR-999"]})])
}

test_exception_naming_no_change_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [object.union(exception({}), {"changes": []})])
}

test_exception_by_a_role_outside_freeze_exception_roles_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"person_roles": ["developer"]})])
}

test_roles_written_in_the_approval_do_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"person_roles": [], "roles": ["service-owner"]})])
}

test_exception_by_no_established_person_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [object.union(exception({}), {"person": null})])
}

test_rejected_exception_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"decision": "rejected"})])
}

test_exception_of_another_kind_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"kind": "change"})])
}

test_exception_for_another_release_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"release_version": "1.3.9"})])
}

test_exception_dated_after_the_effective_time_does_not_count if {
	count(rel_006.deny) == 1 with input as run(late, [exception({"time": "2026-11-28T09:00:00Z"})])
}

test_missing_feature_freeze_fails if {
	some r in rel_006.deny with input as run(object.union(manifest({}), {"feature_freeze": null}), [])
	contains(r.msg, "gives no feature_freeze time")
}

test_null_feature_freeze_fails if {
	count(rel_006.deny) == 1 with input as run(manifest({"feature_freeze": null}), [])
}

test_missing_changes_fail if {
	some r in rel_006.deny with input as run(object.union(manifest({}), {"changes": []}), [])
	contains(r.msg, "lists no included changes")
}

test_empty_changes_fail if {
	count(rel_006.deny) == 1 with input as run(manifest({"changes": []}), [])
}

test_change_without_merge_time_fails if {
	some r in rel_006.deny with input as run(manifest({"changes": [{"id": "PR-104"}]}), [])
	contains(r.msg, "PR-104 has no merged_at time")
}

test_change_merged_after_the_effective_time_fails if {
	release := manifest({"feature_freeze": "2026-12-01T00:00:00Z", "changes": [{"id": "PR-105", "merged_at": "2026-11-28T00:00:00Z"}]})
	some r in rel_006.deny with input as run(release, [])
	contains(r.msg, "after the effective time")
}
