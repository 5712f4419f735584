# gatecheck signing helpers (package gatecheck.lib, whose METADATA is in controls.rego).
# The chain every control that trusts a signature follows, written once: an item (a
# signature file or a signed attestation) names the artifact's digest as a subject,
# its signature verified, and its signer is in `trusted_signers` (keyless: under the root the
# entry names, default public-good). Controls that call
# trusted_signer list `trusted_signers` in their own METADATA params.
package gatecheck.lib

import rego.v1

# The artifact's sha256 or sha512 digest ({"alg", "hex"}); undefined (not an error) when the
# digest is missing, null or malformed.
signable_digest(artifact) := artifact_digest(artifact) if is_string(object.get(artifact, "digest", null))

# The item names the artifact's digest (in the artifact's own algorithm) among its subjects.
names_artifact(item, artifact) if {
	some subject in object.get(item, "subjects", [])
	digests_name_artifact(object.get(subject, "digest", {}), artifact)
}

# The items (signatures, attestations) that name the artifact as a subject.
naming(items, artifact) := [item | some item in items; names_artifact(item, artifact)]

# Verified cryptographically and made by a signer the organisation trusts.
verified_and_trusted(item) if {
	item.verified == true
	trusted_signer(item.signer)
}

# `trusted_signers` lists `{identity, issuer}`, `{identity_regexp, issuer}` or `{key_id}`.
trusted_signer(signer) if {
	some entry in param("trusted_signers")
	signer_matches(entry, signer)
}

signer_matches(entry, signer) if {
	is_string(entry.key_id)
	entry.key_id != ""
	signer_key_matches(entry.key_id, signer)
}

signer_matches(entry, signer) if {
	not entry.key_id
	is_string(entry.issuer)
	is_string(signer.identity)
	signer.issuer == entry.issuer
	signer_identity_matches(entry, signer.identity)
	signer_root_matches(object.get(entry, "root", "public-good"), signer)
}

# The root the keyless signature verified under, by shipped name or by content digest.
signer_root_matches(root, signer) if {
	is_string(signer.root)
	root == signer.root
}

signer_root_matches(root, signer) if {
	is_string(signer.root_sha256)
	root == sprintf("sha256:%s", [signer.root_sha256])
}

signer_key_matches(id, signer) if {
	is_string(signer.key_id)
	lower(id) == lower(signer.key_id)
}

signer_key_matches(id, signer) if {
	is_string(signer.key_alias)
	id == signer.key_alias
}

signer_identity_matches(entry, identity) if {
	is_string(entry.identity)
	entry.identity == identity
}

# Anchored: an unanchored pattern would let https://evil.example/?https://github.com/acme/
# match a rule meant for acme's workflows.
signer_identity_matches(entry, identity) if {
	is_string(entry.identity_regexp)
	regex.match(sprintf("^(?:%s)$", [entry.identity_regexp]), identity)
}

# How a message names a signer.
signer_label(signer) := sprintf("%s (issuer %s, root %s)", [signer.identity, signer.issuer, signer.root]) if {
	is_string(signer.identity)
	is_string(signer.root)
} else := sprintf("%s (issuer %s)", [signer.identity, signer.issuer]) if {
	is_string(signer.identity)
} else := sprintf("key %s", [signer.key_id]) if {
	is_string(signer.key_id)
} else := "an unidentified signer"
