package gatecheck.controls.art_002_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_002

hex := concat("", [x | some _ in numbers.range(1, 64); x := "a"])

other_hex := concat("", [x | some _ in numbers.range(1, 64); x := "b"])

api := {"name": "payments-api", "version": "1.4.0", "digest": concat("", ["sha256:", hex])}

beacon := "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.0"

actions := "https://token.actions.githubusercontent.com"

key_id := concat("", [x | some _ in numbers.range(1, 64); x := "c"])

# A signature fact as gatecheck.evidence.signing.signatures produces it, inside the framework's wrapper.
signature(digest, overrides) := object.union(
	{
		"kind": "sigstore-bundle",
		"media_type": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"payload_type": null,
		"predicate_type": null,
		"verified": true,
		"reason": null,
		"signer": {"identity": beacon, "issuer": actions, "root": "public-good", "root_sha256": other_hex},
		"subjects": [{"name": null, "digest": {"sha256": digest}, "pointer": "/messageSignature/messageDigest"}],
		"signed_at": "2026-01-30T10:00:00Z",
		"timestamps": [{"source": "transparency-log", "time": "2026-01-30T10:00:00Z"}],
		"log": {"kind": "hashedrekord", "version": "0.0.1", "index": 1, "integrated_time": "2026-01-30T10:00:00Z"},
		"trusted_root": {"name": "public-good", "sha256": other_hex},
		"pointer": "",
		"source": {
			"path": "evidence/signature/payments-api.sigstore.json", "name": "payments-api.sigstore.json",
			"format": "sigstore-bundle", "sha256": other_hex, "added_at": "2026-01-30T11:00:00Z",
		},
		"tool": {"name": "sigstore", "version": null},
		"labels": {},
	},
	overrides,
)

good := signature(hex, {})

# A DSSE envelope of an in-toto statement signed by a configured key (no log, no signed time).
keyed(alias) := object.union(object.remove(good, ["signer", "log", "trusted_root"]), {
	"kind": "dsse",
	"media_type": "application/vnd.dsse.envelope.v1+json",
	"payload_type": "application/vnd.in-toto+json",
	"predicate_type": "https://in-toto.io/attestation/release/v0.1",
	"signer": {"key_id": key_id, "key_alias": alias, "key_hint": key_id},
	"subjects": [{"name": "payments-api.tar.gz", "digest": {"sha256": hex}, "pointer": "/payload"}],
	"signed_at": null,
	"timestamps": [],
	"log": null,
	"trusted_root": null,
	"signatures": [{"pointer": "/signatures/0", "keyid": key_id, "verified": true, "key_id": key_id}],
	"source": {"format": "dsse-envelope"},
	"tool": null,
})

# SLSA provenance in a Sigstore bundle (gatecheck.evidence.signing.provenance), signed as `good`.
signed_provenance := object.union(facts.empty.provenance, {
	"statement_type": "https://in-toto.io/Statement/v1",
	"predicate_type": "https://slsa.dev/provenance/v1",
	"slsa_version": "1",
	"subjects": [{"name": "payments-api.tar.gz", "digest": {"sha256": hex}, "pointer": "/dsseEnvelope/payload"}],
	"signed": true,
	"verified": true,
	"signer": good.signer,
	"reason": null,
	"signature": {k: good[k] | some k in ["kind", "media_type", "signed_at", "timestamps", "log", "trusted_root", "pointer"]},
	"pointer": "/dsseEnvelope/payload",
	"source": good.source,
})

trusted := [{"identity": beacon, "issuer": actions}]

release_input(stage, artifacts, evidence) := {
	"stage": stage,
	"effective_time": "2026-01-31T12:00:00Z",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0", "artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts],
		"source_repository": "https://github.com/acme/payments",
		"source": {"path": "evidence/release.json"},
	}),
	"evidence": evidence,
}

prod(signatures) := release_input("production", [api], {"signature": signatures})

test_verified_signature_from_trusted_identity_passes if {
	count(art_002.deny) == 0 with input as prod([good]) with data.gatecheck.config.params.trusted_signers as trusted
	count(art_002.not_applicable) == 0 with input as prod([good]) with data.gatecheck.config.params.trusted_signers as trusted
}

test_signature_digest_matches_case_insensitively if {
	s := signature(upper(hex), {})
	count(art_002.deny) == 0 with input as prod([s]) with data.gatecheck.config.params.trusted_signers as trusted
}

test_identity_regexp_matches_the_whole_identity if {
	rx := [{"identity_regexp": `https://github\.com/acme/[^/]+/\.github/workflows/release\.yml@refs/tags/v.*`, "issuer": actions}]
	count(art_002.deny) == 0 with input as prod([good]) with data.gatecheck.config.params.trusted_signers as rx
}

test_identity_regexp_is_anchored if {
	evil := signature(hex, {"signer": {"identity": concat("", ["https://evil.example/?", beacon]), "issuer": actions, "root": "public-good"}})
	rx := [{"identity_regexp": `https://github\.com/acme/.*`, "issuer": actions}]
	some r in art_002.deny with input as prod([evil]) with data.gatecheck.config.params.trusted_signers as rx
	contains(r.msg, "not listed in trusted_signers")
}

test_trusted_key_id_passes if {
	count(art_002.deny) == 0 with input as prod([keyed(null)]) with data.gatecheck.config.params.trusted_signers as [{"key_id": upper(key_id)}]
}

test_trusted_key_alias_passes if {
	count(art_002.deny) == 0 with input as prod([keyed("release-key-2026")]) with data.gatecheck.config.params.trusted_signers as [{"key_id": "release-key-2026"}]
}

test_signed_provenance_attestation_counts_as_a_signature if {
	doc := release_input("production", [api], {"provenance": [signed_provenance]})
	count(art_002.deny) == 0 with input as doc with data.gatecheck.config.params.trusted_signers as trusted
}

test_unsigned_provenance_does_not_count_as_a_signature if {
	# A plain in-toto statement: the same subjects, no signature.
	p := object.union(signed_provenance, {
		"subjects": [{"name": "payments-api.tar.gz", "digest": {"sha256": hex}, "pointer": "/subject/0"}],
		"signed": false, "verified": false, "signer": null,
		"reason": "the provenance statement is not signed", "signature": null, "pointer": "",
	})
	doc := release_input("production", [api], {"provenance": [p]})
	some r in art_002.deny with input as doc with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "no signature in the bundle covers artifact payments-api")
}

test_missing_signature_fails if {
	some r in art_002.deny with input as prod([]) with data.gatecheck.config.params.trusted_signers as trusted
	r.control == "GC-ART-002"
	r.scope == {"artifact": "payments-api"}
	r.evidence == [{"path": "evidence/release.json", "pointer": "/artifacts/0"}]
}

test_signature_over_other_bytes_fails if {
	tampered := signature(other_hex, {})
	some r in art_002.deny with input as prod([tampered]) with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "no signature in the bundle covers artifact payments-api")
}

test_unverified_signature_fails_with_its_reason if {
	bad := signature(hex, {"verified": false, "reason": "Signature is invalid for input [public-good]"})
	some r in art_002.deny with input as prod([bad]) with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "no signature covering artifact payments-api verified")
	contains(r.msg, "payments-api.sigstore.json: Signature is invalid for input")
	{"path": "evidence/signature/payments-api.sigstore.json", "pointer": ""} in r.evidence
}

test_untrusted_identity_fails if {
	other := [{"identity": beacon, "issuer": "https://accounts.google.com"}]
	some r in art_002.deny with input as prod([good]) with data.gatecheck.config.params.trusted_signers as other
	contains(r.msg, "is signed only by")
	contains(r.msg, beacon)
}

test_wrong_identity_with_trusted_issuer_fails if {
	s := signature(hex, {"signer": {"identity": "https://github.com/mallory/fork/.github/workflows/release.yml@refs/heads/main", "issuer": actions, "root": "public-good"}})
	some r in art_002.deny with input as prod([s]) with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "mallory")
}

test_entry_without_issuer_never_matches if {
	some _ in art_002.deny with input as prod([good]) with data.gatecheck.config.params.trusted_signers as [{"identity": beacon}]
}

test_no_trusted_signers_configured_fails if {
	some _ in art_002.deny with input as prod([good]) with data.gatecheck.config.params.trusted_signers as []
}

test_one_trusted_signature_is_enough_among_bad_ones if {
	bad := signature(hex, {"verified": false, "reason": "x"})
	stranger := signature(hex, {"signer": {"identity": "someone@example.com", "issuer": "https://accounts.google.com", "root": "public-good"}})
	count(art_002.deny) == 0 with input as prod([bad, stranger, good]) with data.gatecheck.config.params.trusted_signers as trusted
}

test_artifact_without_digest_fails if {
	unpinned := {"name": "payments-api", "version": "1.4.0", "digest": null}
	doc := release_input("production", [unpinned], {"signature": [good]})
	some r in art_002.deny with input as doc with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "has no sha256 or sha512 digest")
}

test_each_artifact_needs_its_own_signature if {
	worker := {"name": "payments-worker", "digest": concat("", ["sha256:", other_hex])}
	doc := release_input("production", [api, worker], {"signature": [good]})
	denied := art_002.deny with input as doc with data.gatecheck.config.params.trusted_signers as trusted
	count(denied) == 1
	some r in denied
	r.scope.artifact == "payments-worker"
}

test_release_without_artifacts_is_not_applicable if {
	doc := release_input("production", [], {})
	count(art_002.deny) == 0 with input as doc
	count(art_002.not_applicable) == 1 with input as doc
}

test_info_declares_control if {
	art_002.info.id == "GC-ART-002"
	art_002.info.stages.production == "fail"
	"trusted_signers" in art_002.info.params
}

hex512 := concat("", [x | some _ in numbers.range(1, 128); x := "e"])

npm_pkg := {"name": "left-pad", "version": "1.3.0", "digest": concat("", ["sha512:", hex512])}

sha512_signature(value) := signature(hex, {"subjects": [{"name": "pkg:npm/left-pad@1.3.0", "digest": {"sha512": value}, "pointer": "/dsseEnvelope/payload"}]})

test_sha512_artifact_is_covered_by_a_sha512_subject if {
	doc := release_input("production", [npm_pkg], {"signature": [sha512_signature(hex512)]})
	count(art_002.deny) == 0 with input as doc with data.gatecheck.config.params.trusted_signers as trusted
}

test_sha512_artifact_is_not_covered_by_other_bytes_or_another_algorithm if {
	other := concat("", [x | some _ in numbers.range(1, 128); x := "f"])
	doc := release_input("production", [npm_pkg], {"signature": [sha512_signature(other), good]})
	some r in art_002.deny with input as doc with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "no signature in the bundle covers artifact left-pad")
}

# A signer trusted under public-good (the default root) is not matched by the same identity
# verified under Sigstore's staging instance; naming the root (or its digest) matches it.
staging_signed := signature(hex, {"signer": {"identity": beacon, "issuer": actions, "root": "staging", "root_sha256": hex}})

test_a_staging_signature_does_not_satisfy_a_public_good_signer if {
	some r in art_002.deny with input as prod([staging_signed]) with data.gatecheck.config.params.trusted_signers as trusted
	contains(r.msg, "root staging), not listed in trusted_signers")
}

test_a_signer_entry_naming_the_staging_root_matches_it if {
	count(art_002.deny) == 0 with input as prod([staging_signed])
		with data.gatecheck.config.params.trusted_signers as [{"identity": beacon, "issuer": actions, "root": "staging"}]
	count(art_002.deny) == 0 with input as prod([staging_signed])
		with data.gatecheck.config.params.trusted_signers as [{"identity": beacon, "issuer": actions, "root": sprintf("sha256:%s", [hex])}]
}

test_a_signer_entry_naming_the_staging_root_rejects_public_good if {
	some _ in art_002.deny with input as prod([good])
		with data.gatecheck.config.params.trusted_signers as [{"identity": beacon, "issuer": actions, "root": "staging"}]
}

test_a_keyless_signer_without_a_recorded_root_is_untrusted if {
	rootless := json.remove(good, ["signer/root", "signer/root_sha256"])
	some _ in art_002.deny with input as prod([rootless]) with data.gatecheck.config.params.trusted_signers as trusted
}
