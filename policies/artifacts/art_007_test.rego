package gatecheck.controls.art_007_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_007

hex := concat("", [x | some _ in numbers.range(1, 64); x := "a"])

other_hex := concat("", [x | some _ in numbers.range(1, 64); x := "b"])

api := {"name": "payments-api", "version": "1.4.0", "digest": concat("", ["sha256:", hex])}

builder := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0"

actions := "https://token.actions.githubusercontent.com"

trusted_signers := [{"identity": builder, "issuer": actions}]

# The digest of the trusted root the bundle verified against.
root_sha256 := concat("", [x | some _ in numbers.range(1, 64); x := "c"])

trusted_builders := [builder]

# A provenance fact as gatecheck.evidence.signing.provenance produces it, inside the framework's wrapper.
provenance(digest, overrides) := object.union(
	{
		"statement_type": "https://in-toto.io/Statement/v1",
		"predicate_type": "https://slsa.dev/provenance/v1",
		"slsa_version": "1",
		"build_type": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
		"builder_id": builder,
		"build_source": {
			"repository": "https://github.com/acme/payments",
			"uri": "git+https://github.com/acme/payments@refs/tags/v1.4.0",
			"ref": "refs/tags/v1.4.0",
			"commit": "0123456789abcdef0123456789abcdef01234567",
			"pointer": "/dsseEnvelope/payload",
		},
		"materials": [],
		"invocation_id": null,
		"build_started_on": null,
		"build_finished_on": null,
		"subjects": [{"name": "payments-api.tar.gz", "digest": {"sha256": digest}, "pointer": "/dsseEnvelope/payload"}],
		"signed": true,
		"verified": true,
		"signer": {"identity": builder, "issuer": actions, "root": "public-good", "root_sha256": root_sha256},
		"reason": null,
		"signature": {
			"kind": "sigstore-bundle",
			"media_type": "application/vnd.dev.sigstore.bundle.v0.3+json",
			"signed_at": "2026-01-30T10:00:00Z",
			"timestamps": [{"source": "transparency-log", "time": "2026-01-30T10:00:00Z"}],
			"log": {"kind": "dsse", "version": "0.0.1", "index": 166143216, "integrated_time": "2026-01-30T10:00:00Z"},
			"trusted_root": {"name": "public-good", "sha256": root_sha256},
			"pointer": "",
		},
		"pointer": "/dsseEnvelope/payload",
		"source": {
			"path": "evidence/provenance/payments-api.intoto.jsonl", "name": "payments-api.intoto.jsonl",
			"format": "sigstore-bundle", "sha256": other_hex, "added_at": "2026-01-30T11:00:00Z",
		},
		"tool": null,
		"labels": {},
	},
	overrides,
)

good := provenance(hex, {})

# A bundle that did not verify: no root vouched for its signer, and no time was established.
unverified(digest, reason) := object.union(
	object.remove(provenance(digest, {"verified": false, "reason": reason}), ["signer"]),
	{
		"signer": {"identity": builder, "issuer": actions},
		"signature": {"timestamps": [], "signed_at": null, "trusted_root": null},
	},
)

release_input(stage, artifacts, repository, items) := {
	"stage": stage,
	"effective_time": "2026-01-31T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0", "artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts],
		"source_repository": repository,
		"source": {"path": "evidence/release.json"},
	}),
	"evidence": {"provenance": items},
}

prod(items) := release_input("production", [api], "https://github.com/acme/payments", items)

denials(doc) := d if {
	d := art_007.deny with input as doc
		with data.gatecheck.config.params.trusted_signers as trusted_signers
		with data.gatecheck.config.params.trusted_builders as trusted_builders
}

test_verified_provenance_from_trusted_builder_and_release_source_passes if {
	count(denials(prod([good]))) == 0
	count(art_007.not_applicable) == 0 with input as prod([good])
}

test_repository_comparison_ignores_git_prefix_suffix_slash_and_case if {
	doc := release_input("production", [api], "git+https://GitHub.com/acme/payments.git", [good])
	count(denials(doc)) == 0
	trailing := release_input("production", [api], "https://github.com/acme/payments/", [good])
	count(denials(trailing)) == 0
}

test_builder_regexp_matches_the_whole_id if {
	rx := [{"id_regexp": `https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/[a-z_0-9]+\.yml@refs/tags/v2\.\d+\.\d+`}]
	count(art_007.deny) == 0 with input as prod([good])
		with data.gatecheck.config.params.trusted_signers as trusted_signers
		with data.gatecheck.config.params.trusted_builders as rx
	partial := [{"id_regexp": `https://github\.com/slsa-framework/`}]
	some _ in art_007.deny with input as prod([good])
		with data.gatecheck.config.params.trusted_signers as trusted_signers
		with data.gatecheck.config.params.trusted_builders as partial
}

test_missing_provenance_fails if {
	some r in denials(prod([]))
	r.control == "GC-ART-007"
	r.scope == {"artifact": "payments-api"}
	contains(r.msg, "no build provenance names artifact payments-api")
}

test_provenance_for_other_bytes_fails if {
	some r in denials(prod([provenance(other_hex, {})]))
	contains(r.msg, "no build provenance names artifact payments-api")
}

test_unsigned_provenance_fails if {
	unsigned := provenance(hex, {"signed": false, "verified": false, "signer": null, "reason": "the provenance statement is not signed", "signature": null})
	some r in denials(prod([unsigned]))
	contains(r.msg, "cannot be trusted")
	contains(r.msg, "the provenance statement is not signed")
	{"path": "evidence/provenance/payments-api.intoto.jsonl", "pointer": "/dsseEnvelope/payload"} in r.evidence
}

test_unverified_provenance_fails if {
	bad := unverified(hex, "Integrated time only supported for dsse/hashedrekord 0.0.1 types [public-good]")
	some r in denials(prod([bad]))
	contains(r.msg, "Integrated time only supported")
}

test_provenance_signed_by_an_untrusted_identity_fails if {
	forged := provenance(hex, {"signer": {"identity": "mallory@example.com", "issuer": "https://accounts.google.com", "root": "public-good"}})
	some r in denials(prod([forged]))
	contains(r.msg, "signed by mallory@example.com (issuer https://accounts.google.com, root public-good), not listed in trusted_signers")
}

test_unsigned_provenance_passes_when_verification_is_not_required if {
	unsigned := provenance(hex, {"signed": false, "verified": false, "signer": null, "reason": "the provenance statement is not signed", "signature": null})
	count(art_007.deny) == 0 with input as prod([unsigned])
		with data.gatecheck.config.params.trusted_signers as trusted_signers
		with data.gatecheck.config.params.trusted_builders as trusted_builders
		with data.gatecheck.config.params.provenance_require_verified as false
}

test_untrusted_builder_fails if {
	other := provenance(hex, {"builder_id": "https://ci.example.com/self-hosted"})
	some r in denials(prod([other]))
	contains(r.msg, "was built by https://ci.example.com/self-hosted, not listed in trusted_builders")
}

test_provenance_without_builder_id_fails if {
	anonymous := provenance(hex, {"builder_id": null})
	some r in denials(prod([anonymous]))
	contains(r.msg, "was built by null")
}

test_source_repository_mismatch_fails if {
	fork := provenance(hex, {"build_source": {"repository": "https://github.com/mallory/payments", "ref": null, "commit": null, "uri": "x", "pointer": "/p"}})
	some r in denials(prod([fork]))
	contains(r.msg, "was built from https://github.com/mallory/payments, not from the release's repository https://github.com/acme/payments")
	{"path": "evidence/release.json", "pointer": "/source_repository"} in r.evidence
}

test_provenance_without_source_fails if {
	sourceless := provenance(hex, {"build_source": null})
	some r in denials(prod([sourceless]))
	contains(r.msg, "was built from an unnamed repository")
}

test_release_without_source_repository_fails if {
	doc := release_input("production", [api], null, [good])
	some r in denials(doc)
	contains(r.msg, "states no source_repository")
}

test_one_good_provenance_is_enough_among_bad_ones if {
	fork := provenance(hex, {"build_source": {"repository": "https://github.com/mallory/payments"}})
	unsure := unverified(hex, "x")
	count(denials(prod([fork, unsure, good]))) == 0
}

test_artifact_without_digest_fails if {
	doc := release_input("production", [{"name": "payments-api", "digest": null}], "https://github.com/acme/payments", [good])
	some r in denials(doc)
	contains(r.msg, "has no sha256 or sha512 digest")
}

test_release_without_artifacts_is_not_applicable if {
	doc := release_input("production", [], "https://github.com/acme/payments", [])
	count(denials(doc)) == 0
	count(art_007.not_applicable) == 1 with input as doc
}

test_no_trusted_builders_configured_fails if {
	some _ in art_007.deny with input as prod([good])
		with data.gatecheck.config.params.trusted_signers as trusted_signers
		with data.gatecheck.config.params.trusted_builders as []
}

test_info_declares_control if {
	art_007.info.id == "GC-ART-007"
	art_007.info.stages.production == "fail"
	"trusted_builders" in art_007.info.params
}

hex512 := concat("", [x | some _ in numbers.range(1, 128); x := "e"])

test_sha512_artifact_is_matched_by_its_provenance_subject if {
	npm_pkg := {"name": "payments-api", "version": "1.4.0", "digest": concat("", ["sha512:", hex512])}
	p := provenance(hex, {"subjects": [{"name": "pkg:npm/payments-api@1.4.0", "digest": {"sha512": hex512}, "pointer": "/dsseEnvelope/payload"}]})
	count(denials(release_input("production", [npm_pkg], "https://github.com/acme/payments", [p]))) == 0
	count(denials(release_input("production", [npm_pkg], "https://github.com/acme/payments", [good]))) == 1
}
