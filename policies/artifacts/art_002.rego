# METADATA
# title: Artifact signature verified from a trusted signer
# description: >-
#   Every artifact the release lists carries a signature that gatecheck verified
#   cryptographically over the artifact's sha256 (or sha512) digest, made by a signer the organisation
#   trusts. Signatures come from Sigstore bundles (keyless: verified offline against the
#   Sigstore trusted root, the signing certificate judged at the transparency-log or
#   timestamp-authority time), key-signed DSSE envelopes and detached signatures (verified
#   against the configured trusted keys), and from signed in-toto attestations such as SLSA
#   provenance, whose signature covers their subjects' digests. A signature covers an
#   artifact when one of its subjects has the artifact's sha256 (or sha512) digest: a signature over
#   other bytes, one that did not verify, or one from a signer missing from `trusted_signers`
#   does not count. `trusted_signers` lists `{identity, issuer}` (certificate SAN and OIDC
#   issuer, both exact), `{identity_regexp, issuer}` (the regular expression must match the
#   whole identity) or `{key_id}` (sha256 of the public key's DER SubjectPublicKeyInfo, or
#   the alias given to a trusted key). A keyless entry also names the Sigstore root it trusts
#   (`root`: `public-good` by default, `staging`, or `sha256:<hex>` of a trusted_root.json):
#   a signature verified under another root, staging included, does not match it. A release that lists no artifacts is not applicable
#   (GC-ART-001 fails it).
# custom:
#   id: GC-ART-002
#   severity: critical
#   remediation: >-
#     Sign each artifact in the pipeline (`sigstore sign` / `cosign sign-blob --bundle`
#     keyless, or with the release key) and add the bundle or signature with
#     `gatecheck bundle add --type signature`. If the signature verifies but its signer is
#     reported untrusted, add the signing workflow identity and issuer (or the key id) to
#     `trusted_signers` after review; if it does not verify, re-sign the exact bytes being
#     released.
#   frameworks:
#     slsa-v1.0: [Distribution integrity, Verification of expected signer]
#     nist-800-53: [SI-7, SR-4, CM-14]
#     iso27001: [A.8.32, A.8.25]
#     soc2: [CC8.1]
#   evidence: [signature, provenance, release-manifest]
#   params: [trusted_signers]
#   applicability: [release-manifest/artifacts]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.art_002

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

# Signature files, and signed attestations (an in-toto attestation's signature covers the
# digests of its subjects).
signed := array.concat(
	lib.evidence("signature"),
	[p | some p in lib.evidence("provenance"); p.signed == true],
)

not_applicable contains "the release lists no artifacts, so there is nothing to be signed (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
}

# -- trusted signers (also used by GC-ART-007 for provenance signers) ----------------------

trusted_signer(signer) if {
	some entry in lib.param("trusted_signers")
	signer_matches(entry, signer)
}

signer_matches(entry, signer) if {
	is_string(entry.key_id)
	entry.key_id != ""
	key_matches(entry.key_id, signer)
}

signer_matches(entry, signer) if {
	not entry.key_id
	is_string(entry.issuer)
	is_string(signer.identity)
	signer.issuer == entry.issuer
	identity_matches(entry, signer.identity)
	root_matches(object.get(entry, "root", "public-good"), signer)
}

# The root the keyless signature verified under, by shipped name or by content digest.
root_matches(root, signer) if {
	is_string(signer.root)
	root == signer.root
}

root_matches(root, signer) if {
	is_string(signer.root_sha256)
	root == sprintf("sha256:%s", [signer.root_sha256])
}

key_matches(id, signer) if {
	is_string(signer.key_id)
	lower(id) == lower(signer.key_id)
}

key_matches(id, signer) if {
	is_string(signer.key_alias)
	id == signer.key_alias
}

identity_matches(entry, identity) if {
	is_string(entry.identity)
	entry.identity == identity
}

# Anchored: an unanchored pattern would let https://evil.example/?https://github.com/acme/
# match a rule meant for acme's workflows.
identity_matches(entry, identity) if {
	is_string(entry.identity_regexp)
	regex.match(sprintf("^(?:%s)$", [entry.identity_regexp]), identity)
}

signer_label(signer) := sprintf("%s (issuer %s, root %s)", [signer.identity, signer.issuer, signer.root]) if {
	is_string(signer.identity)
	is_string(signer.root)
} else := sprintf("%s (issuer %s)", [signer.identity, signer.issuer]) if {
	is_string(signer.identity)
} else := sprintf("key %s", [signer.key_id]) if {
	is_string(signer.key_id)
} else := "an unidentified signer"

# -- which signature covers which artifact ------------------------------------------------

# The artifact's sha256 or sha512 digest ({"alg", "hex"}); undefined (not an error) when the
# digest is missing, null or malformed.
digest_of(artifact) := lib.artifact_digest(artifact) if is_string(object.get(artifact, "digest", null))

covers(item, artifact) if {
	some subject in object.get(item, "subjects", [])
	lib.digests_name_artifact(object.get(subject, "digest", {}), artifact)
}

covering(artifact) := [item | some item in signed; covers(item, artifact)]

verified_covering(artifact) := [item | some item in covering(artifact); item.verified == true]

trusted_covering(artifact) := [item | some item in verified_covering(artifact); trusted_signer(item.signer)]

item_name(item) := object.get(object.get(item, "source", {}), "name", "signature")

# -- violations ---------------------------------------------------------------------------

deny contains result if {
	some i, artifact in artifacts
	not digest_of(artifact)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has no sha256 or sha512 digest, so no signature can be matched to its bytes", [artifact.name]),
		[lib.release_ref(sprintf("/artifacts/%d/digest", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	digest_of(artifact)
	count(covering(artifact)) == 0
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("no signature in the bundle covers artifact %s (%s)", [artifact.name, artifact.digest]),
		[lib.release_ref(sprintf("/artifacts/%d", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := covering(artifact)
	count(items) > 0
	count(verified_covering(artifact)) == 0
	reasons := concat("; ", sort([sprintf("%s: %s", [item_name(item), object.get(item, "reason", "not verified")]) | some item in items]))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("no signature covering artifact %s verified (%s)", [artifact.name, reasons]),
		array.concat([lib.release_ref(sprintf("/artifacts/%d", [i]))], [lib.ref(item) | some item in items]),
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := verified_covering(artifact)
	count(items) > 0
	count(trusted_covering(artifact)) == 0
	signers := concat(", ", sort({signer_label(item.signer) | some item in items}))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s is signed only by %s, not listed in trusted_signers", [artifact.name, signers]),
		array.concat([lib.release_ref(sprintf("/artifacts/%d", [i]))], [lib.ref(item) | some item in items]),
		{"artifact": artifact.name},
	)
}
