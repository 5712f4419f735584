# METADATA
# title: Build provenance from a trusted builder
# description: >-
#   Every artifact the release lists has SLSA build provenance (v0.2 or v1 in-toto
#   attestation) that names the artifact's sha256 (or sha512) digest as a subject, was produced by a
#   builder listed in `trusted_builders` (exact builder ids, or `{id_regexp}` matching the
#   whole id), and records a build from the release's own source repository
#   (`source_repository` of the release manifest; compared without `git+`, a trailing `/` or
#   `.git`, ignoring case). Provenance is a claim made by whoever signs it, so with
#   `provenance_require_verified` (the default) it only counts when its signature verified
#   and its signer is in `trusted_signers`; unsigned or unverifiable provenance then fails.
#   A release that lists no artifacts is not applicable (GC-ART-001 fails it).
# custom:
#   id: GC-ART-007
#   severity: high
#   remediation: >-
#     Build on a trusted builder that emits signed SLSA provenance (e.g. the
#     slsa-github-generator workflows or GitHub artifact attestations) and add the attestation
#     with `gatecheck bundle add --type provenance`. Check that the provenance subject is the
#     released file, that the build ran from the repository the release manifest names, and
#     add the builder id to `trusted_builders` and its signing identity to `trusted_signers`
#     after review.
#   frameworks:
#     slsa-v1.0: [Build L2 provenance, Build L3 provenance, Verifying artifacts]
#     nist-800-53: [SR-4, SA-10, CM-14]
#     iso27001: [A.8.32, A.8.25]
#     soc2: [CC8.1]
#   evidence: [provenance, release-manifest]
#   params: [trusted_builders, trusted_signers, provenance_require_verified]
#   applicability: [release-manifest/artifacts]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.art_007

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

artifacts := object.get(object.get(input, "release", {}), "artifacts", [])

provenance := lib.evidence("provenance")

not_applicable contains "the release lists no artifacts, so there is no build to trace (GC-ART-001 fails such a release)" if {
	count(artifacts) == 0
}

# -- checks on one provenance document ----------------------------------------------------

authentic(_) if lib.param("provenance_require_verified") == false

authentic(p) if lib.verified_and_trusted(p)

trusted_builder(id) if {
	is_string(id)
	some entry in lib.param("trusted_builders")
	builder_matches(entry, id)
}

builder_matches(entry, id) if entry == id

builder_matches(entry, id) if {
	is_object(entry)
	entry.id == id
}

builder_matches(entry, id) if {
	is_object(entry)
	is_string(entry.id_regexp)
	regex.match(sprintf("^(?:%s)$", [entry.id_regexp]), id)
}

normalize_repo(uri) := lower(trim_suffix(trim_right(trim_prefix(trim_space(uri), "git+"), "/"), ".git"))

release_repo := normalize_repo(input.release.source_repository) if {
	is_string(input.release.source_repository)
	trim_space(input.release.source_repository) != ""
}

from_release_source(p) if {
	is_string(p.build_source.repository)
	normalize_repo(p.build_source.repository) == release_repo
}

# -- the funnel: each stage keeps the provenance that passed the checks so far --------------

covering(artifact) := lib.naming(provenance, artifact)

authentic_covering(artifact) := [p | some p in covering(artifact); authentic(p)]

trusted_built(artifact) := [p | some p in authentic_covering(artifact); trusted_builder(p.builder_id)]

from_source(artifact) := [p | some p in trusted_built(artifact); from_release_source(p)]

repository_label(p) := p.build_source.repository if {
	is_string(p.build_source.repository)
} else := "an unnamed repository (the provenance records no source)"

item_name(p) := object.get(object.get(p, "source", {}), "name", "provenance")

refs(i, items) := array.concat([lib.release_ref(sprintf("/artifacts/%d", [i]))], [lib.ref(p) | some p in items])

authenticity_problem(p) := sprintf("%s: not verified (%s)", [item_name(p), object.get(p, "reason", "not verified")]) if {
	p.verified != true
} else := sprintf("%s: signed by %s, not listed in trusted_signers", [item_name(p), lib.signer_label(p.signer)])

# -- violations ---------------------------------------------------------------------------

deny contains result if {
	some i, artifact in artifacts
	not lib.signable_digest(artifact)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has no sha256 or sha512 digest, so no provenance can be matched to its bytes", [artifact.name]),
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
		sprintf("no build provenance names artifact %s (%s) as a subject", [artifact.name, artifact.digest]),
		[lib.release_ref(sprintf("/artifacts/%d", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := covering(artifact)
	count(items) > 0
	count(authentic_covering(artifact)) == 0
	problems := concat("; ", sort([authenticity_problem(p) | some p in items]))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("the provenance of artifact %s cannot be trusted (%s)", [artifact.name, problems]),
		refs(i, items),
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := authentic_covering(artifact)
	count(items) > 0
	count(trusted_built(artifact)) == 0
	builders := concat(", ", sort({sprintf("%v", [object.get(p, "builder_id", null)]) | some p in items}))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s was built by %s, not listed in trusted_builders", [artifact.name, builders]),
		refs(i, items),
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := trusted_built(artifact)
	count(items) > 0
	not release_repo
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("the release manifest states no source_repository, so the source of artifact %s cannot be checked", [artifact.name]),
		array.concat([lib.release_ref("/source_repository")], [lib.ref(p) | some p in items]),
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in artifacts
	items := trusted_built(artifact)
	count(items) > 0
	release_repo
	count(from_source(artifact)) == 0
	sources := concat(", ", sort({repository_label(p) | some p in items}))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s was built from %s, not from the release's repository %s", [artifact.name, sources, input.release.source_repository]),
		array.concat([lib.release_ref("/source_repository")], [lib.ref(p) | some p in items]),
		{"artifact": artifact.name},
	)
}
