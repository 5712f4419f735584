# METADATA
# title: Smoke tests passed before promotion
# description: >-
#   A release is promoted only after its smoke tests ran in the previous stage
#   (`previous_stages`: production follows staging) and none failed or errored. Smoke results
#   are JUnit XML whose suites have kind `smoke` (label `kind=smoke`, or
#   `junit_kind_patterns`). A result labelled with another `stage` (or `environment`) does
#   not count; one without such a label counts, with a warning that its stage is unknown.
# custom:
#   id: GC-PIPE-001
#   severity: high
#   remediation: >-
#     Run the smoke suite against the previous stage's deployment and add its JUnit XML with
#     `gatecheck bundle add --type test-results --label kind=smoke --label stage=staging`.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.29, A.8.32]
#     nist-800-53: [CM-3, CM-4, SA-11]
#   evidence: [test-results]
#   params: [previous_stages]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.pipe_001

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

previous := lib.param("previous_stages")[input.stage]

smoke_suites(item) := [s | some s in item.suites; s.kind == "smoke"]

smoke_results := [item | some item in lib.evidence("test_results"); count(smoke_suites(item)) > 0]

# The stage a result says it ran in: its `stage` label, else its `environment` label.
ran_in(item) := label(item, "stage") if {
	lc.present(label(item, "stage"))
} else := label(item, "environment") if {
	lc.present(label(item, "environment"))
}

label(item, key) := lc.get(lc.get(item, "labels", {}), key, null)

counted := [item |
	some item in smoke_results
	stage_ok(item)
]

stage_ok(item) if not ran_in(item)

stage_ok(item) if ran_in(item) == previous

report_name(item) := object.get(object.get(item, "source", {}), "name", "smoke results")

not_applicable contains sprintf("stage %s has no previous stage in previous_stages", [input.stage]) if {
	not previous
}

deny contains result if {
	previous
	count(counted) == 0
	elsewhere := {ran_in(item) | some item in smoke_results}
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no smoke test results from the previous stage %s%s", [previous, other_stages(elsewhere)]),
		[lib.ref(item) | some item in smoke_results],
	)
}

other_stages(stages) := sprintf(" (smoke results found for: %s)", [concat(", ", sort(stages))]) if {
	count(stages) > 0
} else := ""

deny contains result if {
	some item in counted
	suites := smoke_suites(item)
	failed := sum([n | some s in suites; n := s.failures + s.errors])
	failed > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s of the smoke tests in %s failed or errored", [lc.plural(failed, "case"), report_name(item)]),
		[lib.ref_at(item, s.pointer) | some s in suites; s.failures + s.errors > 0],
	)
}

deny contains result if {
	some item in counted
	suites := smoke_suites(item)
	sum([n | some s in suites; n := s.tests - s.skipped]) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the smoke suites in %s ran no test (all skipped or empty)", [report_name(item)]),
		[lib.ref_at(item, s.pointer) | some s in suites],
	)
}

warn contains result if {
	previous
	some item in counted
	not ran_in(item)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s does not say which stage its smoke tests ran in; label it stage=%s", [report_name(item), previous]),
		[lib.ref(item)],
	)
}
