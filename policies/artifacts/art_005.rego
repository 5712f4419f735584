# METADATA
# title: No known vulnerabilities above threshold
# description: >-
#   The release's dependencies were scanned for known vulnerabilities (pip-audit, OSV-Scanner,
#   Grype or Trivy JSON), the scan is recent and complete, and nothing it found is severe
#   enough to block the stage. A finding fails when its severity is at or above
#   `vuln_fail_severity` (high in production, critical in staging), or when a fixed version
#   exists and its severity is at or above `vuln_fix_available_fail_severity` (medium). A
#   finding whose scanner gives no severity (pip-audit never does) counts as
#   `vuln_unknown_severity` (high). A scan fails when it is older than `scan_max_age_hours`
#   (24) at the effective time, judged by the scanner's own time or, when it records none, the
#   time its producer signed into the attestation; when the scanner reports packages or
#   targets it could not audit; and when the report scanned no packages at all (a Trivy report
#   of secrets or configuration only is not a vulnerability scan). Findings the scanner was told to
#   ignore (Grype `ignoredMatches`, Trivy `.trivyignore`/VEX findings under
#   `ExperimentalModifiedFindings`, reported with `--show-suppressed`) count like any other:
#   a tool-side suppression is not a waiver; only a gatecheck waiver covers them. Coverage: every SBOM in the bundle must be covered by the scans.
#   An SBOM is covered wholesale when a scan's target is the SBOM's subject itself (a scanned
#   image's manifest, config or repository sha256 digest equals the SBOM subject's sha256).
#   Otherwise each package component of the SBOM (one with a purl, or a library or framework
#   with a name and version) must appear in some scan's package list: when both carry a purl,
#   the purls must agree on type, namespace, name and version (case-insensitive,
#   percent-decoded, qualifiers and subpath ignored, PyPI names normalized as in PEP 503, a
#   leading "v" of Go versions ignored); when either lacks a purl, the names
#   (case-insensitive) and versions must be equal. Packages a scanner reports as unaudited
#   never count as covered. Scanners that list only vulnerable packages (Grype; Trivy without
#   --list-all-pkgs; OSV-Scanner without --all-packages) can cover an SBOM only by scanning
#   its subject. A release that lists no artifacts and has no scan is not applicable.
#   Results carry scope `vulnerability` (the finding's id) and `component` (purl, else name),
#   so a waiver can target one finding or one package.
# custom:
#   id: GC-ART-005
#   severity: critical
#   remediation: >-
#     Upgrade the affected packages to a fixed version (or waive a specific finding with a
#     justified, expiring waiver scoped to its vulnerability id), re-run the scanner right
#     before the gate (`gatecheck collect pip-audit`, `osv-scanner --format json`,
#     `grype -o json`, `trivy --format json --list-all-pkgs`), make sure it can reach its
#     vulnerability database so no package is left unaudited, and scan the artifact the SBOM
#     describes (or all its packages).
#   frameworks:
#     nist-800-53: [SI-2, RA-5, SR-4, SA-11]
#     iso27001: [A.8.8, A.8.25, A.8.28]
#     soc2: [CC7.1, CC8.1]
#   evidence: [vulnerability-scan, sbom, release-manifest]
#   params: [vuln_fail_severity, vuln_fix_available_fail_severity, vuln_unknown_severity, scan_max_age_hours]
#   stages:
#     production: fail
#     staging: fail
#     dev: warn
package gatecheck.controls.art_005

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

scans := lib.evidence("vulnerability_scan")

sboms := lib.evidence("sbom")

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

not_applicable contains "the release lists no artifacts and the bundle holds no vulnerability scan, so there is nothing to scan (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
	count(scans) == 0
}

# -- missing evidence ------------------------------------------------------------------------

deny contains result if {
	count(scans) == 0
	count(artifacts) > 0
	result := lib.result(
		rego.metadata.chain(),
		"missing evidence: the bundle holds no vulnerability scan (pip-audit, OSV-Scanner, Grype or Trivy JSON)",
		[lib.release_ref("/artifacts")],
	)
}

# -- parameters: a misspelt threshold must fail, never silently pass everything ------------

deny contains result if {
	some name in ["vuln_fail_severity", "vuln_fix_available_fail_severity", "vuln_unknown_severity"]
	value := lib.param(name)
	not value in {"critical", "high", "medium", "low"}
	result := lib.result(
		rego.metadata.chain(),
		sprintf("parameter %s is %v; use one of critical, high, medium, low", [name, value]),
		[],
	)
}

deny contains result if {
	value := lib.param("scan_max_age_hours")
	not valid_hours(value)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("parameter scan_max_age_hours is %v; use a positive number of hours", [value]),
		[],
	)
}

valid_hours(value) if {
	is_number(value)
	value > 0
}

# -- findings ---------------------------------------------------------------------------------

scan_name(scan) := object.get(object.get(scan, "source", {}), "name", "scan")

scanner_name(scan) := object.get(object.get(scan, "scanner", {}), "name", "scanner")

component(pkg) := pkg.purl if {
	is_string(pkg.purl)
	pkg.purl != ""
} else := object.get(pkg, "name", "")

package_label(pkg) := sprintf("%s %s", [pkg.name, pkg.version]) if {
	is_string(pkg.version)
} else := sprintf("%v", [object.get(pkg, "name", "(unnamed)")])

# The severity a finding is judged at: the scanner's, else vuln_unknown_severity.
# Thresholds read once per evaluation, not once per finding.
fail_severity := lib.param("vuln_fail_severity")

fix_fail_severity := lib.param("vuln_fix_available_fail_severity")

unknown_severity := lib.param("vuln_unknown_severity")

# The severities at or above each threshold, also once: thousands of findings each compared
# by rank cost about a second.
failing_severities := {s | some s, _ in lib.severity_rank; lib.at_or_above(s, fail_severity)}

fix_failing_severities := {s | some s, _ in lib.severity_rank; lib.at_or_above(s, fix_fail_severity)}

effective_severity(vuln) := vuln.severity if {
	is_string(vuln.severity)
	_ = lib.severity_rank[vuln.severity]
} else := unknown_severity

severity_note(vuln) := "" if {
	is_string(vuln.severity)
} else := sprintf(" (the scanner gives no severity; counted as vuln_unknown_severity %s)", [unknown_severity])

has_fix(vuln) if count(object.get(vuln, "fix_versions", [])) > 0

# Why a finding fails, if it does: the plain threshold first, else the fix-available one.
# (severity: the finding's effective severity.)
failure(vuln, severity) := sprintf("at or above vuln_fail_severity %s", [fail_severity]) if {
	severity in failing_severities
} else := sprintf("a fix is available (%s) and it is at or above vuln_fix_available_fail_severity %s", [
	concat(", ", vuln.fix_versions), fix_fail_severity,
]) if {
	has_fix(vuln)
	severity in fix_failing_severities
}

aliases_note(vuln) := "" if {
	count(object.get(vuln, "aliases", [])) == 0
} else := sprintf(" (aliases %s)", [concat(", ", vuln.aliases)])

deny contains result if {
	some scan in scans
	some vuln in scan.vulnerabilities
	severity := effective_severity(vuln)
	reason := failure(vuln, severity)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("%s%s in %s: %s severity%s, %s%s [%s]", [
			vuln.id, aliases_note(vuln), package_label(vuln.package), severity,
			severity_note(vuln), reason, suppression_note(vuln), scan_name(scan),
		]),
		[lib.ref_at(scan, vuln.pointer)],
		{"vulnerability": vuln.id, "component": component(vuln.package)},
	)
}

# A scanner's own ignore list is not a waiver: the finding counts, and the report says why the
# scanner hid it, so the reviewer can turn it into a gatecheck waiver (approver, expiry).
suppression_note(vuln) := sprintf("; the scanner was told to ignore it (%s), which is not a gatecheck waiver", [
	object.get(vuln, "suppression_reason", "no reason recorded"),
]) if {
	vuln.suppressed_by_tool == true
} else := ""

# -- what was scanned ---------------------------------------------------------------------------

deny contains result if {
	some scan in scans
	scan.scanned_packages == false
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s report %s scanned no packages (e.g. only secrets or configuration), so it is not a vulnerability scan", [
			scanner_name(scan), scan_name(scan),
		]),
		[lib.ref(scan)],
	)
}

# -- scan freshness ---------------------------------------------------------------------------

scan_time(scan) := scan.timestamp if {
	is_string(scan.timestamp)
} else := scan.attested_at if {
	is_string(scan.attested_at)
}

time_basis(scan) := "scan time" if {
	is_string(scan.timestamp)
} else := "time its producer signed into the attestation (the scanner records no scan time)"

deny contains result if {
	some scan in scans
	max_hours := lib.param("scan_max_age_hours")
	valid_hours(max_hours)
	age := lib.age_ns(scan_time(scan))
	age > max_hours * lib.hour_ns
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s scan %s is %d hours old (%s %s), older than scan_max_age_hours %v", [
			scanner_name(scan), scan_name(scan), floor(age / lib.hour_ns), time_basis(scan),
			scan_time(scan), max_hours,
		]),
		[lib.ref(scan)],
	)
}

deny contains result if {
	some scan in scans
	not scan_time(scan)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s scan %s has no scan time and no signed attestation time, so its age is unknown", [scanner_name(scan), scan_name(scan)]),
		[lib.ref(scan)],
	)
}

# -- unaudited packages -------------------------------------------------------------------------

deny contains result if {
	some scan in scans
	some i, pkg in object.get(scan, "unaudited", [])
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("%s could not audit %s: %s [%s]", [
			scanner_name(scan), package_label(pkg), object.get(pkg, "reason", "no reason given"),
			scan_name(scan),
		]),
		[lib.ref_at(scan, object.get(pkg, "pointer", ""))],
		{"component": component(pkg)},
	)
}

warn contains result if {
	some scan in scans
	some w in object.get(scan, "warnings", [])
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s [%s]", [w.message, scan_name(scan)]),
		[lib.ref_at(scan, object.get(w, "pointer", ""))],
	)
}

# -- coverage of the SBOMs ----------------------------------------------------------------------

# A package URL reduced to type/namespace/name@version for comparison.
purl_key(purl) := key if {
	is_string(purl)
	startswith(lower(purl), "pkg:")
	base := split(split(purl, "#")[0], "?")[0]
	decoded := lower(strings.replace_n({"%40": "@", "%2b": "+", "%2B": "+", "%3a": ":", "%3A": ":", "%20": " "}, base))
	ats := indexof_n(decoded, "@")
	count(ats) > 0
	at := max(ats)
	at > 4
	path := normalize_path(substring(decoded, 0, at))
	raw_version := substring(decoded, at + 1, -1)
	raw_version != ""
	not contains(raw_version, "/") # an npm scope's "@", not a version
	version := normalize_version(path, raw_version)
	key := sprintf("%s@%s", [path, version])
}

normalize_path(path) := concat("", ["pkg:pypi/", regex.replace(substring(path, 9, -1), `[-_.]+`, "-")]) if {
	startswith(path, "pkg:pypi/")
} else := path

normalize_version(path, version) := trim_prefix(version, "v") if {
	startswith(path, "pkg:golang/")
} else := version

name_key(name, version) := sprintf("%s@%s", [lower(name), version]) if {
	is_string(name)
	is_string(version)
	name != ""
	version != ""
}

# Coverage compares package keys (purl_key: normalized purl; name_key: lowercased
# name@version) through the index gatecheck adds beside an SBOM's components and a scan's
# packages: the items' positions by key (evidence/sbom/purl.py). Only set operations, which
# OPA runs natively, touch every key; rule bodies run, and keys are computed here, for the
# components no scan listed alone. A rule body per component cost seconds at 50,000.
# An SBOM's name map holds only the components without a purl key; a scan's, every package.
index(item, items, all_names) := item.index if {
	is_object(item.index)
} else := {
	# input gatecheck did not build (hand-written tests): the same index, made here
	"purl": {k: [i | some i, x in items; purl_key(x.purl) == k] | some x in items; k := purl_key(x.purl)},
	"name": {k: [i | some i, x in items; name_key(x.name, x.version) == k; named(x, all_names)] |
		some x in items
		k := name_key(x.name, x.version)
		named(x, all_names)
	},
}

named(_, true)

named(item, false) if not purl_key(item.purl)

scan_indexes[j] := index(scan, object.get(scan, "packages", []), true) if some j, scan in scans

sbom_indexes[j] := index(sbom, object.get(sbom, "components", []), false) if some j, sbom in sboms

scanned_purls := union({object.keys(x.purl) | some x in scan_indexes})

scanned_names := union({object.keys(x.name) | some x in scan_indexes})

# A package a scanner listed by name and version only (no purl) also covers components with
# a purl.
scanned_by_name_only(key) if {
	some j, scan in scans
	some i in object.get(scan_indexes[j].name, key, [])
	not purl_key(scan.packages[i].purl)
}

scanned_digests contains lower(d) if {
	some scan in scans
	some d in object.get(scan, "target_digests", [])
}

unscanned_sboms := {j | some j, sbom in sboms; not subject_scanned(sbom)}

# [SBOM position, component position] of each component no scan covered: one with a purl
# whose key no scan listed (by purl, or by name only), or a library without a purl whose name
# and version no scan listed.
uncovered contains [j, i] if {
	some j in unscanned_sboms
	some key in (object.keys(sbom_indexes[j].purl) - scanned_purls)
	some i in sbom_indexes[j].purl[key]
	c := sboms[j].components[i]
	not scanned_by_name_only(name_key(c.name, c.version))
}

uncovered contains [j, i] if {
	some j in unscanned_sboms
	some key in (object.keys(sbom_indexes[j].name) - scanned_names)
	some i in sbom_indexes[j].name[key]
	component_type(sboms[j].components[i]) in {"library", "framework"}
}

component_type(c) := c.type if {
	is_string(c.type)
} else := "library"

subject_scanned(sbom) if {
	some subject in object.get(sbom, "subjects", [])
	digest := lower(object.get(object.get(subject, "digests", {}), "sha256", ""))
	digest != ""
	digest in scanned_digests
}

partial_scanners := {sprintf("%s (%s)", [scanner_name(s), scan_name(s)]) |
	some s in scans
	object.get(s, "packages_complete", false) != true
}

coverage_hint := "" if {
	count(partial_scanners) == 0
} else := sprintf("; %s list only vulnerable packages: scan the SBOM's subject itself or list all packages", [concat(", ", sort(partial_scanners))])

deny contains result if {
	count(scans) > 0
	some [j, i] in uncovered
	sbom := sboms[j]
	c := sbom.components[i]
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("SBOM %s lists %s, which no vulnerability scan covered%s", [
			object.get(object.get(sbom, "source", {}), "name", "SBOM"), package_label(c), coverage_hint,
		]),
		[lib.ref_at(sbom, object.get(c, "pointer", ""))],
		{"component": component(c)},
	)
}
