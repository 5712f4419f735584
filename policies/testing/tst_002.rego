# METADATA
# title: Coverage thresholds met
# description: >-
#   Every coverage report in the bundle (Cobertura XML, coverage.py JSON, LCOV, JaCoCo XML)
#   shows line coverage of at least `coverage_min` (80%), and every file matching a
#   `critical_paths` glob (matched with "/" as separator, so `*` stays within one directory
#   and `**` crosses them) has at least `critical_coverage_min` (90%). Rates are computed
#   from the report's per-line data, not from the summary it states about itself. A critical
#   glob that matches no file in any report fails too, and so does a critical file listed
#   with no measured lines: code left out of the measurement is not covered. A release that lists no artifacts has nothing built to measure, so the
#   control is not applicable unless coverage reports are present anyway; such a release
#   fails GC-ART-001.
# custom:
#   id: GC-TST-002
#   severity: medium
#   remediation: >-
#     Add tests for the uncovered code (the report's missing lines show where), and add the
#     coverage report to the bundle with `gatecheck bundle add --type coverage coverage.xml`.
#     Do not omit critical code from coverage measurement.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29]
#     nist-800-53: [SA-11]
#   evidence: [coverage, release-manifest]
#   params: [coverage_min, critical_paths, critical_coverage_min]
#   applicability: [release-manifest/artifacts]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.tst_002

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

reports := lib.evidence("coverage")

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

# -- applicability --------------------------------------------------------------------------

nothing_required if {
	lib.param("coverage_min") <= 0
	count(lib.param("critical_paths")) == 0
}

not_applicable contains "the release lists no artifacts and the bundle has no coverage report, so there is no built code to measure (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
	count(reports) == 0
}

not_applicable contains "no coverage is required at this stage (coverage_min is 0 and critical_paths is empty) and the bundle has no coverage report" if {
	nothing_required
	count(reports) == 0
}

# -- helpers --------------------------------------------------------------------------------

report_name(item) := object.get(object.get(item, "source", {}), "name", "coverage report")

# One decimal, rounded down so a rate just under a threshold never prints as equal to it.
# (sprintf's %f cannot be used: OPA passes whole numbers such as 75 to it as integers.)
percent(rate) := sprintf("%d.%d%%", [floor(tenths / 10), tenths % 10]) if {
	tenths := floor((rate * 1000) + 0.000000001)
}

critical(path) if {
	some pattern in lib.param("critical_paths")
	glob.match(pattern, ["/"], path)
}

file_ref(item, file) := lib.ref_at(item, file.pointer) if {
	is_string(file.pointer)
} else := lib.ref(item)

# -- violations -----------------------------------------------------------------------------

deny contains result if {
	count(reports) == 0
	count(artifacts) > 0
	not nothing_required
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the bundle has no coverage report (Cobertura XML, coverage.py JSON, LCOV or JaCoCo XML); line coverage of at least %s is required", [percent(lib.param("coverage_min"))]),
		[lib.release_ref("/artifacts")],
	)
}

deny contains result if {
	some item in reports
	lib.missing(object.get(item, "totals", {}), "line_rate")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("coverage report %s measured no lines, so it shows no coverage", [report_name(item)]),
		[lib.ref(item)],
	)
}

deny contains result if {
	some item in reports
	rate := item.totals.line_rate
	is_number(rate)
	rate < lib.param("coverage_min")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("line coverage in %s is %s (%d of %d lines), below the required %s", [
			report_name(item), percent(rate), item.totals.lines_covered, item.totals.lines_valid,
			percent(lib.param("coverage_min")),
		]),
		[lib.ref(item)],
	)
}

deny contains result if {
	some item in reports
	some file in item.files
	critical(file.path)
	is_number(object.get(file, "line_rate", null))
	file.line_rate < lib.param("critical_coverage_min")
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("critical file %s has %s line coverage (%d of %d lines) in %s, below the required %s", [
			file.path, percent(file.line_rate), file.lines_covered, file.lines_valid,
			report_name(item), percent(lib.param("critical_coverage_min")),
		]),
		[file_ref(item, file)],
		{"component": file.path},
	)
}

# A critical file listed with nothing measured (no executable lines found, or its lines left
# out) shows no coverage: it is not covered.
deny contains result if {
	some item in reports
	some file in item.files
	critical(file.path)
	lib.missing(file, "line_rate")
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("critical file %s is listed in %s with no measured lines, so its coverage is not shown", [file.path, report_name(item)]),
		[file_ref(item, file)],
		{"component": file.path},
	)
}

deny contains result if {
	count(reports) > 0
	some pattern in lib.param("critical_paths")
	not measured(pattern)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("critical path %q matches no file in the coverage reports (%s), so its coverage was not measured", [
			pattern, concat(", ", [report_name(item) | some item in reports]),
		]),
		[lib.ref(item) | some item in reports],
	)
}

measured(pattern) if {
	some item in reports
	some file in item.files
	glob.match(pattern, ["/"], file.path)
}

# The report's own summary disagrees with its per-line data (the per-line data was used).
warn contains result if {
	some item in reports
	some m in object.get(item, "mismatches", [])
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s states %s=%v%s but its per-line data gives %v; the per-line data was used", [
			report_name(item), m.what, m.declared, mismatch_where(m), m.computed,
		]),
		[lib.ref(item)],
	)
}

mismatch_where(m) := sprintf(" for %s", [m.path]) if {
	is_string(m.path)
} else := ""
