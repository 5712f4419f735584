package gatecheck.controls.art_005_test

import rego.v1

import data.gatecheck.controls.art_005

import data.gatecheck.artifacts.fixtures as f
import data.gatecheck.test_facts as facts

# 2026-03-01T12:00:00Z
now_ns := time.parse_rfc3339_ns("2026-03-01T12:00:00Z")

digest := concat("", [x | some _ in numbers.range(1, 64); x := "a"])

idna := {"name": "idna", "version": "3.6", "ecosystem": "PyPI", "purl": "pkg:pypi/idna@3.6"}

six := {"name": "six", "version": "1.16.0", "ecosystem": "PyPI", "purl": "pkg:pypi/six@1.16.0"}

vuln(severity, fixes) := {
	"id": "PYSEC-2024-60", "aliases": ["CVE-2024-3651"], "package": idna,
	"severity": severity, "cvss_score": null, "fix_versions": fixes,
	"pointer": "/dependencies/0/vulns/0",
	"suppressed_by_tool": false, "suppression_reason": null,
}

scan(vulns) := {
	"scanner": {"name": "pip-audit", "version": null},
	"timestamp": "2026-03-01T10:00:00Z",
	"target": null,
	"target_digests": [],
	"packages": [idna, six],
	"packages_complete": true,
	"scanned_packages": true,
	"unaudited": [],
	"warnings": [],
	"vulnerabilities": vulns,
	"source": f.named_source("evidence/002-pip-audit.json", "pip-audit.json", "pip-audit-json"),
}

subject := object.union(facts.empty.sbom_subject, {
	"name": "payments-api", "version": "1.4.0", "digests": {"sha256": digest}, "pointer": "/metadata/component",
})

# An SBOM of the artifact; components as the parsers write them (fields not given are null).
sbom(components) := object.union(facts.empty.sbom, {
	"spec": "cyclonedx", "spec_version": "1.6", "valid": true,
	"subject": subject, "subjects": [subject],
	"components": [object.union(facts.empty.sbom_component, c) | some c in components],
	"component_count": count(components),
	"source": f.named_source("evidence/001-bom.json", "bom.json", "cyclonedx-json"),
})

doc(stage, scans, sboms) := {
	"stage": stage,
	"effective_time_ns": now_ns,
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0",
		"artifacts": [object.union(facts.empty.artifact, {"name": "payments-api", "version": "1.4.0", "digest": concat("", ["sha256:", digest])})],
		"source": {"path": "evidence/000-release.json"},
	}),
	"evidence": {
		"vulnerability_scan": scans,
		"sbom": sboms,
	},
}

prod(scans) := doc("production", scans, [])

test_clean_fresh_scan_passes if {
	count(art_005.deny) == 0 with input as prod([scan([])])
	count(art_005.not_applicable) == 0 with input as prod([scan([])])
}

test_release_without_artifacts_or_scans_is_not_applicable if {
	input_doc := object.union(prod([]), {"release": {"name": "payments", "version": "1.4.0", "artifacts": [], "source": {"path": "r"}}})
	count(art_005.deny) == 0 with input as input_doc
	count(art_005.not_applicable) == 1 with input as input_doc
}

test_missing_scan_is_a_violation if {
	some r in art_005.deny with input as prod([])
	startswith(r.msg, "missing evidence")
	count(art_005.not_applicable) == 0 with input as prod([])
}

test_high_finding_fails_production_with_scope if {
	some r in art_005.deny with input as prod([scan([vuln("high", [])])])
	r.scope == {"vulnerability": "PYSEC-2024-60", "component": "pkg:pypi/idna@3.6"}
	r.evidence == [{"path": "evidence/002-pip-audit.json", "pointer": "/dependencies/0/vulns/0"}]
	contains(r.msg, "aliases CVE-2024-3651")
	contains(r.msg, "vuln_fail_severity high")
}

test_high_finding_without_fix_passes_staging if {
	count(art_005.deny) == 0 with input as doc("staging", [scan([vuln("high", [])])], [])
}

test_critical_finding_fails_staging if {
	count(art_005.deny) == 1 with input as doc("staging", [scan([vuln("critical", [])])], [])
}

test_unknown_severity_counts_as_vuln_unknown_severity if {
	some r in art_005.deny with input as prod([scan([vuln(null, [])])])
	contains(r.msg, "counted as vuln_unknown_severity high")
}

test_unknown_severity_threshold_is_a_parameter if {
	count(art_005.deny) == 0 with input as prod([scan([vuln(null, [])])])
		with data.gatecheck.config.params.vuln_unknown_severity as "low"
}

test_medium_finding_with_fix_fails if {
	some r in art_005.deny with input as prod([scan([vuln("medium", ["3.7"])])])
	contains(r.msg, "a fix is available (3.7)")
}

test_medium_without_fix_and_low_with_fix_pass if {
	count(art_005.deny) == 0 with input as prod([scan([vuln("medium", []), vuln("low", ["3.7"])])])
}

test_stale_scan_fails if {
	old := object.union(scan([]), {"timestamp": "2026-02-27T12:00:00Z"})
	some r in art_005.deny with input as prod([old])
	contains(r.msg, "48 hours old (scan time 2026-02-27T12:00:00Z)")
}

test_scan_without_time_is_judged_by_its_attestation_time if {
	undated := object.union(scan([]), {"timestamp": null, "attested_at": "2026-03-01T00:00:00Z"})
	count(art_005.deny) == 0 with input as prod([undated])
	stale := object.union(undated, {"attested_at": "2026-02-20T00:00:00Z"})
	some r in art_005.deny with input as prod([stale])
	contains(r.msg, "time its producer signed into the attestation")
}

test_scan_added_recently_without_a_signed_time_fails if {
	undated := object.union(scan([]), {"timestamp": null, "source": {"added_at": "2026-03-01T00:00:00Z"}})
	some r in art_005.deny with input as prod([undated])
	r.control == "GC-ART-005"
}

test_unaudited_package_fails if {
	skipped := object.union(scan([]), {"unaudited": [{
		"name": "torch", "version": null, "ecosystem": "PyPI", "purl": "pkg:pypi/torch",
		"reason": "Dependency not found on PyPI and could not be audited", "pointer": "/dependencies/2",
	}]})
	some r in art_005.deny with input as prod([skipped])
	r.scope == {"component": "pkg:pypi/torch"}
	contains(r.msg, "could not audit torch")
	r.evidence[0].pointer == "/dependencies/2"
}

test_sbom_components_found_by_normalized_purl_are_covered if {
	components := [
		{"name": "IDNA", "version": "3.6", "purl": "pkg:PyPI/IDNA@3.6?extra=x#sub", "type": "library", "pointer": "/components/0"},
		{"name": "six", "version": "1.16.0", "purl": "pkg:pypi/Six@1.16.0", "type": "library", "pointer": "/components/1"},
		{"name": "debian", "version": "12", "purl": null, "type": "operating-system", "pointer": "/components/2"},
	]
	count(art_005.deny) == 0 with input as doc("production", [scan([])], [sbom(components)])
}

test_sbom_component_missing_from_every_scan_fails if {
	components := [{"name": "requests", "version": "2.31.0", "purl": "pkg:pypi/requests@2.31.0", "type": "library", "pointer": "/components/4"}]
	some r in art_005.deny with input as doc("production", [scan([])], [sbom(components)])
	r.scope == {"component": "pkg:pypi/requests@2.31.0"}
	r.evidence == [{"path": "evidence/001-bom.json", "pointer": "/components/4"}]
	contains(r.msg, "SBOM bom.json lists requests 2.31.0, which no vulnerability scan covered")
}

test_purl_less_library_is_matched_by_name_and_version if {
	components := [{"name": "SIX", "version": "1.16.0", "purl": null, "type": "library", "pointer": "/components/0"}]
	count(art_005.deny) == 0 with input as doc("production", [scan([])], [sbom(components)])
	other := [{"name": "six", "version": "1.17.0", "purl": null, "type": "library", "pointer": "/components/0"}]
	count(art_005.deny) == 1 with input as doc("production", [scan([])], [sbom(other)])
}

grype_scan(digests) := object.union(scan([]), {
	"scanner": {"name": "grype", "version": "0.114.0"},
	"target_digests": digests,
	"packages": [],
	"packages_complete": false,
	"source": f.named_source("evidence/003-grype.json", "grype.json", "grype-json"),
})

test_scan_of_the_sbom_subject_covers_the_whole_sbom if {
	components := [{"name": "openssl", "version": "3.0.13", "purl": "pkg:apk/wolfi/openssl@3.0.13", "type": "library", "pointer": "/components/0"}]
	count(art_005.deny) == 0 with input as doc("production", [grype_scan([digest])], [sbom(components)])
}

test_vulnerable_only_listing_of_another_image_does_not_cover if {
	components := [{"name": "openssl", "version": "3.0.13", "purl": "pkg:apk/wolfi/openssl@3.0.13", "type": "library", "pointer": "/components/0"}]
	some r in art_005.deny with input as doc("production", [grype_scan(["bbbb"])], [sbom(components)])
	contains(r.msg, "grype (grype.json) list only vulnerable packages")
}

test_go_purls_match_with_or_without_v_prefix if {
	components := [{"name": "github.com/gogo/protobuf", "version": "v1.3.1", "purl": "pkg:golang/github.com/gogo/protobuf@v1.3.1", "type": "library", "pointer": "/components/0"}]
	gogo := {"name": "github.com/gogo/protobuf", "version": "1.3.1", "ecosystem": "Go", "purl": "pkg:golang/github.com/gogo/protobuf@1.3.1"}
	osv := object.union(scan([]), {"packages": [gogo]})
	count(art_005.deny) == 0 with input as doc("production", [osv], [sbom(components)])
}

test_scanner_warnings_are_reported_as_warnings if {
	eosl := object.union(scan([]), {"warnings": [{"message": "the scanned OS alpine 3.10.2 is end of service life", "pointer": "/Metadata/OS/EOSL"}]})
	some w in art_005.warn with input as prod([eosl])
	contains(w.msg, "end of service life")
	count(art_005.deny) == 0 with input as prod([eosl])
}

test_purl_key_normalizes_what_scanners_vary if {
	art_005.purl_key("pkg:npm/%40angular/core@16.0.0") == "pkg:npm/@angular/core@16.0.0"
	art_005.purl_key("pkg:deb/debian/libidn2-0@2.0.5-1%2Bdeb10u1?distro=debian-10.2") == "pkg:deb/debian/libidn2-0@2.0.5-1+deb10u1"
	art_005.purl_key("pkg:pypi/Ruamel_Yaml@0.17.21") == "pkg:pypi/ruamel-yaml@0.17.21"
	not art_005.purl_key("pkg:npm/%40angular/core")
	not art_005.purl_key("idna")
}

test_misspelt_severity_parameter_fails_closed if {
	some r in art_005.deny with input as prod([scan([vuln("high", [])])])
		with data.gatecheck.config.params.vuln_fail_severity as "High"
	contains(r.msg, "parameter vuln_fail_severity is High")
}

test_non_numeric_age_parameter_fails_closed if {
	some r in art_005.deny with input as prod([scan([])])
		with data.gatecheck.config.params.scan_max_age_hours as "24h"
	contains(r.msg, "parameter scan_max_age_hours is 24h")
}

test_scan_without_any_time_fails if {
	# The time it was added to the bundle (source.added_at) is no scan time.
	timeless := object.union(scan([]), {"timestamp": null})
	some r in art_005.deny with input as prod([timeless])
	contains(r.msg, "its age is unknown")
}

# -- tool-side suppressions are not waivers ----------------------------------------------------

# A Grype match its ignore rules hid, as evidence/scans/grype.py reports it.
grype_ignored := {
	"id": "CVE-2024-3651", "aliases": [], "package": idna,
	"severity": "high", "cvss_score": 7.5, "fix_versions": ["3.7"],
	"pointer": "/ignoredMatches/0/vulnerability",
	"suppressed_by_tool": true,
	"suppression_reason": "grype ignore rule: vulnerability CVE-2024-3651",
}

test_finding_the_scanner_was_told_to_ignore_still_fails if {
	some r in art_005.deny with input as prod([scan([grype_ignored])])
	contains(r.msg, "CVE-2024-3651 in idna 3.6: high severity")
	contains(r.msg, "the scanner was told to ignore it (grype ignore rule: vulnerability CVE-2024-3651), which is not a gatecheck waiver")
	r.scope == {"vulnerability": "CVE-2024-3651", "component": "pkg:pypi/idna@3.6"}
}

test_suppressed_finding_below_the_thresholds_passes_like_any_other if {
	low := object.union(grype_ignored, {"severity": "low", "fix_versions": []})
	count(art_005.deny) == 0 with input as prod([scan([low])])
}

# -- a report that scanned no packages is not a vulnerability scan ----------------------------

# trivy fs --scanners secret: Results of class "secret" only (evidence/scans/trivy.py).
trivy_secrets_only := object.union(scan([]), {
	"scanner": {"name": "trivy", "version": "0.58.1"},
	"packages": [], "packages_complete": true, "scanned_packages": false,
})

test_secrets_only_trivy_report_fails if {
	some r in art_005.deny with input as prod([trivy_secrets_only])
	contains(r.msg, "trivy report pip-audit.json scanned no packages (e.g. only secrets or configuration), so it is not a vulnerability scan")
}

test_secrets_only_report_beside_a_real_scan_still_fails if {
	count(art_005.deny) == 1 with input as prod([scan([]), trivy_secrets_only])
}
