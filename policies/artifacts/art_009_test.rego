package gatecheck.controls.art_009_test

import rego.v1

import data.gatecheck.artifacts.fixtures as f
import data.gatecheck.controls.art_009

now_ns := 1795773600000000000

finding(overrides) := object.union(
	{
		"rule_id": "generic-api-key",
		"file": "src/payments_api/settings.py",
		"line": 12,
		"commit": null,
		"fingerprint": "src/payments_api/settings.py:generic-api-key:12",
		"severity": null,
		"description": "Detected a Generic API Key",
		"suppressed_by_tool": false,
		"pointer": "/0",
	},
	overrides,
)

scan(overrides) := object.union(
	{
		"scanner": {"name": "gitleaks", "version": null},
		"timestamp": null,
		"target": null,
		"complete": true,
		"issues": [],
		"findings": [],
		"source": f.source("evidence/gitleaks.json", "gitleaks-json"),
	},
	overrides,
)

run(scans) := {"stage": "production", "effective_time_ns": now_ns, "release": {"name": "payments-api", "version": "1.4.0"}, "evidence": {"secret_scan": scans}}

test_clean_scan_passes if {
	count(art_009.deny) == 0 with input as run([scan({})])
}

test_no_scan_fails if {
	some r in art_009.deny with input as run([])
	contains(r.msg, "no secret scan")
}

test_finding_fails_scoped_to_its_file if {
	some r in art_009.deny with input as run([scan({"findings": [finding({})]})])
	r.msg == "gitleaks found a secret (rule generic-api-key) in src/payments_api/settings.py line 12, fingerprint src/payments_api/settings.py:generic-api-key:12"
	r.scope == {"component": "src/payments_api/settings.py"}
	r.evidence[0].pointer == "/0"
}

test_finding_the_scanner_was_told_to_ignore_still_fails if {
	some r in art_009.deny with input as run([scan({"findings": [finding({"suppressed_by_tool": true})]})])
	contains(r.msg, "that the scanner was told to ignore")
}

test_finding_without_file_or_line_fails if {
	unplaced := finding({"file": null, "line": null})
	some r in art_009.deny with input as run([scan({"findings": [unplaced]})])
	contains(r.msg, "in (no file),")
}

test_each_finding_fails if {
	count(art_009.deny) == 2 with input as run([scan({"findings": [finding({}), finding({"fingerprint": "b", "pointer": "/1"})]})])
}

test_incomplete_scan_fails if {
	some r in art_009.deny with input as run([scan({"complete": false, "issues": ["/runs/0: results not computed"]})])
	contains(r.msg, "did not complete: /runs/0: results not computed")
}

# A SARIF log declared a secret scan that holds no run (evidence/scans/secrets.py).
test_scan_without_a_run_fails if {
	sarif := scan({"scanner": {"name": "sarif", "version": null}, "complete": false, "issues": ["the log has no run"]})
	some r in art_009.deny with input as run([sarif])
	r.msg == "the secret scan by sarif did not complete: the log has no run"
}

test_scan_dated_after_the_effective_time_fails if {
	some r in art_009.deny with input as run([scan({"timestamp": "2026-11-28T00:00:00Z"})])
	contains(r.msg, "after the effective time")
}

test_one_dirty_scan_among_clean_ones_fails if {
	count(art_009.deny) == 1 with input as run([scan({}), scan({"findings": [finding({})]})])
}
