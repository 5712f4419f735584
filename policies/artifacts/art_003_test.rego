package gatecheck.controls.art_003_test

import rego.v1

import data.gatecheck.controls.art_003

import data.gatecheck.test_facts as facts

hex := concat("", [x | some _ in numbers.range(1, 64); x := "a"])

other_hex := concat("", [x | some _ in numbers.range(1, 64); x := "b"])

api := {"name": "payments-api", "version": "1.4.0", "digest": concat("", ["sha256:", hex])}

component(name, version, purl) := {
	"name": name, "version": version, "purl": purl, "type": "library",
	"licenses": [{"name": "MIT", "spdx": "MIT", "text": false}], "hashes": {}, "pointer": sprintf("/components/%s", [name]),
}

good_components := [
	component("click", "8.1.7", "pkg:pypi/click@8.1.7"),
	component("requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
]

subject(name, version, digests) := {
	"name": name, "version": version, "purl": null,
	"digests": digests, "pointer": "/metadata/component",
}

# A normalized SBOM as the parsers produce it, with the framework's source around it.
sbom(subjects, overrides) := object.union(
	{
		"spec": "cyclonedx", "spec_version": "1.6", "valid": true, "errors": [],
		"subject": subjects[0], "subjects": subjects,
		"components": good_components, "component_count": count(good_components),
		"timestamp": "2026-01-20T08:00:00Z", "tools": [{"name": "cyclonedx-py", "version": "7.5.0"}],
		"source": {
			"path": "evidence/sbom/bom.json", "name": "bom.json", "format": "cyclonedx-json",
			"sha256": other_hex, "added_at": "2026-01-30T00:00:00Z",
		},
	},
	overrides,
)

api_sbom := sbom([subject("payments-api", "1.4.0", {})], {})

release_input(stage, artifacts, sboms) := {
	"stage": stage,
	"effective_time": "2026-01-31T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0",
		"artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts],
		"source": {"path": "evidence/release.json"},
	}),
	"evidence": {"sbom": sboms},
}

prod(sboms) := release_input("production", [api], sboms)

test_sbom_matching_name_and_version_passes if {
	count(art_003.deny) == 0 with input as prod([api_sbom])
	count(art_003.warn) == 0 with input as prod([api_sbom])
	count(art_003.not_applicable) == 0 with input as prod([api_sbom])
}

test_sbom_matching_by_digest_passes_under_another_name if {
	s := sbom([subject("ghcr.io/acme/payments-api", null, {"sha256": upper(hex)})], {})
	count(art_003.deny) == 0 with input as prod([s])
}

test_artifact_without_version_matches_release_version if {
	unversioned := {"name": "payments-api", "digest": api.digest}
	count(art_003.deny) == 0 with input as release_input("production", [unversioned], [api_sbom])
}

test_any_described_package_of_an_spdx_document_matches if {
	s := sbom([subject("docs", "1.0.0", {}), subject("payments-api", "1.4.0", {})], {"spec": "spdx", "spec_version": "2.3"})
	count(art_003.deny) == 0 with input as prod([s])
}

test_missing_sbom_fails if {
	some r in art_003.deny with input as prod([])
	contains(r.msg, "no SBOM describes artifact payments-api 1.4.0")
	contains(r.msg, "the bundle has no SBOM")
	r.scope.artifact == "payments-api"
	r.evidence[0].pointer == "/artifacts/0"
}

test_sbom_of_another_subject_fails_and_warns if {
	s := sbom([subject("billing-api", "2.0.0", {})], {})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "SBOM subjects in the bundle: bom.json describes billing-api 2.0.0")
	some w in art_003.warn with input as prod([s])
	contains(w.msg, "which is no artifact of this release")
}

test_other_version_of_the_artifact_fails if {
	s := sbom([subject("payments-api", "1.3.9", {})], {})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "no SBOM describes artifact payments-api 1.4.0")
}

test_same_name_and_version_with_another_digest_fails if {
	s := sbom([subject("payments-api", "1.4.0", {"sha256": other_hex})], {})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "no SBOM describes artifact")
}

test_sbom_without_subject_fails if {
	s := sbom([null], {"subject": null, "subjects": []})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "no SBOM describes artifact")
	some w in art_003.warn with input as prod([s])
	contains(w.msg, "describes no subject")
}

test_schema_invalid_sbom_fails_with_its_errors if {
	s := sbom([subject("payments-api", "1.4.0", {})], {
		"valid": false,
		"errors": ["/components/0/type: 'spaceship' is not one of ...", "b", "c", "d"],
	})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "is not a valid cyclonedx 1.6 document: /components/0/type: 'spaceship'")
	contains(r.msg, "(and 1 more)")
	r.evidence[0].path == "evidence/sbom/bom.json"
}

test_sbom_of_an_unsupported_spec_version_fails if {
	s := object.union(api_sbom, {
		"spec_version": "1.3", "valid": false,
		"errors": ["/specVersion: '1.3' is not supported (supported: 1.4, 1.5, 1.6)"],
	})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "is not a valid cyclonedx 1.3 document: /specVersion: '1.3' is not supported")
}

test_sbom_without_components_fails if {
	s := sbom([subject("payments-api", "1.4.0", {})], {"components": [], "component_count": 0})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "lists no components")
}

unidentified_sbom(n) := sbom([subject("payments-api", "1.4.0", {})], {"components": array.concat(
	good_components,
	[component(sprintf("local%d", [k]), "0.1", null) | some k in numbers.range(1, n)],
)})

test_component_without_purl_fails_in_production if {
	some r in art_003.deny with input as prod([unidentified_sbom(1)])
	contains(r.msg, "has 1 component(s) without a version or purl (at most 0 allowed): local1 0.1 (no purl)")
	r.evidence[0].pointer == "/components/local1"
}

test_component_without_version_fails_in_production if {
	s := sbom([subject("payments-api", "1.4.0", {})], {"components": [component("vendored", "", "pkg:generic/vendored")]})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, ": vendored (no version)")
}

test_staging_tolerates_a_few_unidentified_components if {
	count(art_003.deny) == 0 with input as release_input("staging", [api], [unidentified_sbom(5)])
	some r in art_003.deny with input as release_input("staging", [api], [unidentified_sbom(6)])
	contains(r.msg, "has 6 component(s) without a version or purl (at most 5 allowed)")
	contains(r.msg, "(and 1 more)")
}

test_stale_sbom_fails if {
	s := sbom([subject("payments-api", "1.4.0", {})], {"timestamp": "2025-12-01T12:00:00Z"})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "was created at 2025-12-01T12:00:00Z, 61 days before the effective time (at most 30 allowed)")
}

test_dev_accepts_older_sboms if {
	s := sbom([subject("payments-api", "1.4.0", {})], {"timestamp": "2025-12-01T12:00:00Z"})
	count(art_003.deny) == 0 with input as release_input("dev", [api], [s])
}

test_sbom_without_timestamp_is_aged_from_its_attestation_time if {
	fresh := object.union(sbom([subject("payments-api", "1.4.0", {})], {"timestamp": null}), {"attested_at": "2026-03-01T00:00:00Z"})
	count(art_003.deny) == 0 with input as prod([fresh])
	old := object.union(fresh, {"attested_at": "2025-11-01T00:00:00Z"})
	some r in art_003.deny with input as prod([old])
	contains(r.msg, "was attested at 2025-11-01T00:00:00Z")
}

test_sbom_added_long_ago_but_without_a_signed_time_cannot_be_aged if {
	# `added_at` is bundle metadata whoever assembles the bundle sets: it proves no age.
	s := sbom([subject("payments-api", "1.4.0", {})], {"timestamp": null})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "its age cannot be judged")
}

test_sbom_without_any_time_fails if {
	# Without a creation or signed time: the time it was added (source.added_at) never counts.
	s := sbom([subject("payments-api", "1.4.0", {})], {"timestamp": null})
	some r in art_003.deny with input as prod([s])
	contains(r.msg, "its age cannot be judged")
}

test_every_artifact_needs_its_sbom if {
	worker := {"name": "payments-worker", "version": "1.4.0", "digest": concat("", ["sha256:", other_hex])}
	denies := art_003.deny with input as release_input("production", [api, worker], [api_sbom])
	count(denies) == 1
	some r in denies
	r.scope.artifact == "payments-worker"
	r.evidence[0].pointer == "/artifacts/1"
}

test_release_without_artifacts_is_not_applicable if {
	na := art_003.not_applicable with input as release_input("production", [], [api_sbom])
	some reason in na
	contains(reason, "lists no artifacts")
	count(art_003.deny) == 0 with input as release_input("production", [], [api_sbom])
	count(art_003.warn) == 0 with input as release_input("production", [], [api_sbom])
}

hex512 := concat("", [x | some _ in numbers.range(1, 128); x := "e"])

npm_pkg := {"name": "left-pad", "version": "1.3.0", "digest": concat("", ["sha512:", hex512])}

test_sha512_artifact_is_described_by_an_sbom_with_its_sha512 if {
	s := sbom([subject("pkg:npm/left-pad", null, {"sha512": hex512})], {})
	count(art_003.deny) == 0 with input as release_input("production", [npm_pkg], [s])
}

test_same_name_and_version_but_another_sha512_describes_other_bytes if {
	other := concat("", [x | some _ in numbers.range(1, 128); x := "f"])
	s := sbom([subject("left-pad", "1.3.0", {"sha512": other})], {})
	some r in art_003.deny with input as release_input("production", [npm_pkg], [s])
	contains(r.msg, "no SBOM describes artifact left-pad")
}
