package gatecheck.controls.rel_004_test

import rego.v1

import data.gatecheck.controls.rel_004
import data.gatecheck.governance.fixtures as f
import data.gatecheck.test_facts as facts

criteria(overrides) := object.union(
	{"error_rate": 0.02, "latency_p95_ms": 450, "latency_p99_ms": null, "data_consistency_check": null},
	overrides,
)

messages(rel) := {r.msg | some r in rel_004.deny with input as f.input_for(rel, {})}

test_error_rate_and_latency_thresholds_pass if {
	count(messages(f.release({}))) == 0
}

test_missing_rollback_criteria_fail if {
	messages(f.release({"rollback": null})) == {"the release manifest defines no rollback criteria"}
}

test_absent_rollback_section_fails if {
	messages(f.release({"rollback": null})) == {"the release manifest defines no rollback criteria"}

	# f.release merges overrides into its defaults, so replace the section outright.
	only_latency := object.union(facts.empty.rollback_criteria, {"latency_p95_ms": 450})
	without_rate := object.union(object.remove(f.release({}), {"rollback"}), {"rollback": only_latency})
	messages(without_rate) == {"the rollback criteria set no error-rate threshold (rollback.error_rate)"}
}

test_missing_error_rate_fails if {
	messages(f.release({"rollback": criteria({"error_rate": null})})) == {"the rollback criteria set no error-rate threshold (rollback.error_rate)"}
}

test_missing_latency_threshold_fails if {
	messages(f.release({"rollback": criteria({"latency_p95_ms": null})})) == {"the rollback criteria set no latency threshold (rollback.latency_p95_ms or latency_p99_ms)"}
}

test_p99_latency_alone_is_enough if {
	count(messages(f.release({"rollback": criteria({"latency_p95_ms": null, "latency_p99_ms": 900})}))) == 0
}

test_error_rate_given_as_a_percentage_fails if {
	messages(f.release({"rollback": criteria({"error_rate": 2})})) == {"the rollback error-rate threshold 2 is not a fraction between 0 and 1"}
}

test_non_positive_latency_fails if {
	messages(f.release({"rollback": criteria({"latency_p95_ms": 0})})) == {"the rollback latency threshold latency_p95_ms is 0; it must be positive"}
}

test_data_migration_without_consistency_check_fails if {
	messages(f.release({"data_migration": true})) == {"the release migrates data but its rollback criteria define no data-consistency check"}
}

test_data_migration_with_consistency_check_passes if {
	rel := f.release({"data_migration": true, "rollback": criteria({"data_consistency_check": "ledger totals reconciled"})})
	count(messages(rel)) == 0
}

test_data_migration_without_any_criteria_reports_both if {
	messages(f.release({"data_migration": true, "rollback": null})) == {
		"the release manifest defines no rollback criteria",
		"the release migrates data but its rollback criteria define no data-consistency check",
	}
}

test_info_declares_control if {
	rel_004.info.id == "GC-REL-004"
}

# -- inputs built from parser-produced facts (policies/lib/facts_test.rego) --------------------

parsed(release, runs) := {
	"stage": "production",
	"release": facts.release[release],
	"evidence": {"migration_dry_run": [facts.migration_dry_run[r] | some r in runs]},
}

parsed_messages(release, runs) := {r.msg | some r in rel_004.deny with input as parsed(release, runs)}

test_parsed_manifest_with_criteria_passes if {
	count(parsed_messages("release_major", [])) == 0
	count(parsed_messages("release_migration", ["dry_run_ok"])) == 0
}

test_parsed_manifest_without_rollback_section_fails if {
	parsed_messages("release_no_rollback", []) == {"the release manifest defines no rollback criteria"}
}

test_parsed_manifest_without_error_rate_fails if {
	parsed_messages("release_rollback_no_error_rate", []) == {"the rollback criteria set no error-rate threshold (rollback.error_rate)"}
}

test_parsed_manifest_without_latency_fails if {
	parsed_messages("release_rollback_no_latency", []) == {"the rollback criteria set no latency threshold (rollback.latency_p95_ms or latency_p99_ms)"}
}

test_parsed_migration_without_consistency_check_fails if {
	parsed_messages("release_migration_no_check", []) == {"the release migrates data but its rollback criteria define no data-consistency check"}
}

test_a_dry_run_of_this_release_shows_a_migration_the_manifest_does_not_declare if {
	parsed_messages("release_major", ["dry_run_ok"]) == {"the release migrates data but its rollback criteria define no data-consistency check"}
	count(parsed_messages("release_major", ["dry_run_other_release"])) == 0
}
