# METADATA
# title: No secrets in the artifact
# description: >-
#   A secret scan of the artifact or its source (gitleaks JSON, Trivy secret results, SARIF
#   from a secret scanner) ran to completion, no later than the effective time, and found
#   nothing. Every finding fails the control, including findings the scanner was told to
#   ignore; only a gatecheck waiver scoped to the file (`component`) excuses one.
# custom:
#   id: GC-ART-009
#   severity: critical
#   remediation: >-
#     Remove the secret from the artifact and its source history, rotate it, and rescan; add
#     the scanner's report with `--type secret-scan`. A false positive needs a gatecheck
#     waiver naming the file as its component.
#   frameworks:
#     soc2: [CC6.1, CC8.1]
#     iso27001: [A.8.25, A.8.28, A.5.17]
#     nist-800-53: [SA-11, IA-5, SC-28]
#   evidence: [secret-scan]
#   params: []
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.art_009

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

scans := lib.evidence("secret_scan")

deny contains result if {
	count(scans) == 0
	result := lib.result(
		rego.metadata.chain(),
		"no secret scan of the artifact or its source (add gitleaks JSON, Trivy secret results or a secret scanner's SARIF with --type secret-scan)",
		[],
	)
}

deny contains result if {
	some s in scans
	object.get(s, "complete", false) != true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the secret scan by %s did not complete: %s", [scanner(s), concat("; ", lc.get(s, "issues", []))]),
		[lib.ref(s)],
	)
}

deny contains result if {
	some s in scans
	is_string(lc.get(s, "timestamp", null))
	lc.ns(s.timestamp) > input.effective_time_ns
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the secret scan by %s is dated %s, after the effective time", [scanner(s), s.timestamp]),
		[lib.ref(s)],
	)
}

deny contains result if {
	some s in scans
	some f in s.findings
	file := lc.get(f, "file", "(no file)")
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("%s found a secret (rule %s)%s in %s%s, fingerprint %s", [scanner(s), lc.get(f, "rule_id", "unknown"), suppressed(f), file, line(f), f.fingerprint]),
		[lib.ref_at(s, f.pointer)],
		{"component": file},
	)
}

scanner(s) := lc.get(lc.get(s, "scanner", {}), "name", "an unnamed scanner")

suppressed(f) := " that the scanner was told to ignore" if f.suppressed_by_tool == true

else := ""

line(f) := sprintf(" line %d", [f.line]) if is_number(lc.get(f, "line", null))

else := ""
