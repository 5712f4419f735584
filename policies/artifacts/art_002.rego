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

# -- which signature covers which artifact ------------------------------------------------

# The chain (digest -> subject -> verified -> trusted) is lib/signing.rego, shared with GC-ART-007.
covering(artifact) := lib.naming(signed, artifact)

verified_covering(artifact) := [item | some item in covering(artifact); item.verified == true]

trusted_covering(artifact) := [item | some item in verified_covering(artifact); lib.verified_and_trusted(item)]

item_name(item) := object.get(object.get(item, "source", {}), "name", "signature")

# -- violations ---------------------------------------------------------------------------

deny contains result if {
	some i, artifact in artifacts
	not lib.signable_digest(artifact)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has no sha256 or sha512 digest, so no signature can be matched to its bytes", [artifact.name]),
		[lib.release_ref(sprintf("/artifacts/%d/digest", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	lib.signable_digest(artifact)
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
	signers := concat(", ", sort({lib.signer_label(item.signer) | some item in items}))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s is signed only by %s, not listed in trusted_signers", [artifact.name, signers]),
		array.concat([lib.release_ref(sprintf("/artifacts/%d", [i]))], [lib.ref(item) | some item in items]),
		{"artifact": artifact.name},
	)
}
