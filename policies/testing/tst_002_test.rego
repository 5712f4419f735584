package gatecheck.controls.tst_002_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.tst_002

api := {"name": "payments-api", "version": "1.4.0", "digest": "sha256:aa"}

file(path, valid, covered) := {
	"path": path, "lines_valid": valid, "lines_covered": covered,
	"line_rate": rate(covered, valid), "branches_valid": null, "branches_covered": null,
	"branch_rate": null, "pointer": sprintf("/files/%s", [replace(path, "/", "~1")]),
}

rate(covered, valid) := covered / valid if {
	valid > 0
} else := null

# A normalized coverage report as the parser produces it, with the framework's source around it.
report(name, files) := {
	"timestamp": "2026-01-30T10:00:00Z",
	"totals": {
		"lines_valid": sum([f.lines_valid | some f in files]),
		"lines_covered": sum([f.lines_covered | some f in files]),
		"line_rate": rate(sum([f.lines_covered | some f in files]), sum([f.lines_valid | some f in files])),
		"branches_valid": null, "branches_covered": null, "branch_rate": null,
	},
	"declared": facts.empty.coverage.declared,
	"mismatches": [],
	"file_count": count(files),
	"files": files,
	"source": {
		"path": sprintf("evidence/coverage/%s", [name]), "name": name,
		"format": "coveragepy-json", "sha256": "bb", "added_at": "2026-01-30T11:00:00Z",
	},
	"tool": {"name": "coverage.py", "version": "7.6.1"},
	"labels": {},
}

good := report("coverage.json", [
	file("src/payments/api.py", 100, 95),
	file("src/payments/auth/login.py", 50, 48),
])

release_input(stage, artifacts, reports) := {
	"stage": stage,
	"effective_time": "2026-01-31T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0", "artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts],
		"source": {"path": "evidence/release.json"},
	}),
	"evidence": {"coverage": reports},
}

prod(reports) := release_input("production", [api], reports)

test_coverage_above_thresholds_passes if {
	count(tst_002.deny) == 0 with input as prod([good])
	count(tst_002.warn) == 0 with input as prod([good])
	count(tst_002.not_applicable) == 0 with input as prod([good])
}

test_coverage_exactly_at_the_minimum_passes if {
	count(tst_002.deny) == 0 with input as prod([report("c.xml", [file("a.py", 10, 8)])])
}

test_low_line_coverage_fails if {
	low := report("coverage.xml", [file("src/a.py", 100, 70), file("src/b.py", 100, 80)])
	denies := tst_002.deny with input as prod([low])
	count(denies) == 1
	some r in denies
	r.control == "GC-TST-002"
	r.msg == "line coverage in coverage.xml is 75.0% (150 of 200 lines), below the required 80.0%"
	r.evidence == [{"path": "evidence/coverage/coverage.xml", "pointer": ""}]
}

test_each_report_must_meet_the_minimum if {
	frontend := report("lcov.info", [file("web/app.js", 10, 5)])
	some r in tst_002.deny with input as prod([good, frontend])
	contains(r.msg, "line coverage in lcov.info is 50.0%")
}

test_missing_coverage_report_fails if {
	some r in tst_002.deny with input as prod([])
	contains(r.msg, "the bundle has no coverage report")
	r.evidence == [{"path": "evidence/release.json", "pointer": "/artifacts"}]
}

test_report_without_measured_lines_fails if {
	empty := report("coverage.json", [file("src/__init__.py", 0, 0)])
	some r in tst_002.deny with input as prod([empty])
	r.msg == "coverage report coverage.json measured no lines, so it shows no coverage"
}

test_critical_files_at_or_above_their_minimum_pass if {
	count(tst_002.deny) == 0 with input as prod([good])
		with data.gatecheck.config.params.critical_paths as ["src/payments/**"]
}

# Files below 90%, one, two and three directories under src/payments.
weak := report("coverage.json", [
	file("src/payments/api.py", 100, 85),
	file("src/payments/auth/login.py", 50, 40),
	file("src/payments/auth/oauth/token.py", 20, 10),
	file("src/ledger.py", 1000, 1000),
])

test_critical_glob_single_star_stays_in_one_directory if {
	denies := tst_002.deny with input as prod([weak])
		with data.gatecheck.config.params.critical_paths as ["src/payments/*/*.py"]
	{r.msg | some r in denies} == {"critical file src/payments/auth/login.py has 80.0% line coverage (40 of 50 lines) in coverage.json, below the required 90.0%"}
	some r in denies
	r.scope == {"component": "src/payments/auth/login.py"}
	r.evidence == [{"path": "evidence/coverage/coverage.json", "pointer": "/files/src~1payments~1auth~1login.py"}]
}

test_critical_glob_double_star_crosses_directories if {
	denies := tst_002.deny with input as prod([weak])
		with data.gatecheck.config.params.critical_paths as ["src/payments/**"]
	count(denies) == 3
}

test_critical_minimum_comes_from_the_stage_profile if {
	denies := tst_002.deny with input as prod([good])
		with data.gatecheck.config.params.critical_paths as ["src/payments/**"]
		with data.gatecheck.config.stages.production.params.critical_coverage_min as 0.96
	{r.msg | some r in denies} == {"critical file src/payments/api.py has 95.0% line coverage (95 of 100 lines) in coverage.json, below the required 96.0%"}
}

test_critical_file_without_pointer_cites_the_report if {
	# LCOV places a file by its line in the tracefile, not by a JSON pointer.
	lcov_file := object.union(object.remove(file("src/payments/api.py", 100, 50), ["pointer"]), {"line": 1})
	other := object.union(object.remove(file("src/other.py", 1000, 1000), ["pointer"]), {"line": 9})
	lcov := report("lcov.info", [lcov_file, other])
	some r in tst_002.deny with input as prod([lcov])
		with data.gatecheck.config.params.critical_paths as ["src/payments/**"]
	startswith(r.msg, "critical file src/payments/api.py")
	r.evidence == [{"path": "evidence/coverage/lcov.info", "pointer": ""}]
}

test_critical_glob_matching_no_measured_file_fails if {
	some r in tst_002.deny with input as prod([good])
		with data.gatecheck.config.params.critical_paths as ["src/billing/**"]
	r.msg == `critical path "src/billing/**" matches no file in the coverage reports (coverage.json), so its coverage was not measured`
}

test_windows_paths_normalized_by_the_parser_match_globs if {
	win := report("lcov.info", [file("C:/build/src/payments/api.py", 10, 5), file("C:/build/src/x.py", 100, 100)])
	some r in tst_002.deny with input as prod([win])
		with data.gatecheck.config.params.critical_paths as ["**/payments/*.py"]
	startswith(r.msg, "critical file C:/build/src/payments/api.py has 50.0%")
}

test_summary_mismatch_warns if {
	edited := object.union(good, {"mismatches": [{"what": "lines_covered", "declared": 150, "computed": 143}]})
	count(tst_002.deny) == 0 with input as prod([edited])
	some r in tst_002.warn with input as prod([edited])
	r.msg == "coverage.json states lines_covered=150 but its per-line data gives 143; the per-line data was used"
}

test_release_without_artifacts_is_not_applicable if {
	rin := release_input("production", [], [])
	count(tst_002.deny) == 0 with input as rin
	some reason in tst_002.not_applicable with input as rin
	contains(reason, "lists no artifacts")
}

test_stage_requiring_no_coverage_is_not_applicable if {
	na := tst_002.not_applicable with input as prod([])
		with data.gatecheck.config.params.coverage_min as 0
	some reason in na
	contains(reason, "no coverage is required")
	count(tst_002.deny) == 0 with input as prod([])
		with data.gatecheck.config.params.coverage_min as 0
}

test_info_declares_control_and_stage_defaults if {
	tst_002.info.id == "GC-TST-002"
	tst_002.info.stages == {"production": "fail", "staging": "warn", "dev": "warn"}
	tst_002.info.params == ["coverage_min", "critical_paths", "critical_coverage_min"]
}

test_percentages_round_down_so_a_near_miss_never_reads_as_the_threshold if {
	tst_002.percent(0.79999) == "79.9%"
	tst_002.percent(0.8) == "80.0%"
	tst_002.percent(0.005) == "0.5%"
	tst_002.percent(1) == "100.0%"
}

test_critical_file_listed_with_no_measured_lines_fails if {
	listed := report("coverage.json", [
		file("src/payments/api.py", 100, 95),
		file("src/payments/__init__.py", 0, 0),
	])
	some r in tst_002.deny with input as prod([listed])
		with data.gatecheck.config.params.critical_paths as ["src/payments/**"]
	r.msg == "critical file src/payments/__init__.py is listed in coverage.json with no measured lines, so its coverage is not shown"
	r.scope == {"component": "src/payments/__init__.py"}
}
