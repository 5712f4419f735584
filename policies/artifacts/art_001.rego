# METADATA
# title: Immutable artifact reference
# description: >-
#   Every artifact in the release is pinned by a sha256 or sha512 digest (npm names packages
#   by sha512) and carries a SemVer release
#   version, so what was evaluated is exactly what gets deployed. Mutable tags (latest,
#   snapshots, dev) can point at different bytes tomorrow.
# custom:
#   id: GC-ART-001
#   severity: high
#   remediation: >-
#     Reference each artifact by `sha256:<digest>` (or `sha512:<digest>`) and give it a SemVer version
#     (e.g. 1.4.0); never promote `latest` or `-SNAPSHOT` builds.
#   frameworks:
#     slsa-v1.0: [Build L1 provenance subject digests]
#     nist-800-53: [CM-3, SR-4]
#     iso27001: [A.8.32]
#   evidence: [release-manifest]
#   params: [mutable_versions, mutable_version_patterns]
#   stages:
#     production: fail
#     staging: fail
#     dev: warn
package gatecheck.controls.art_001

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

deny contains result if {
	count(object.get(input.release, "artifacts", [])) == 0
	result := lib.result(
		rego.metadata.chain(),
		"the release manifest lists no artifacts, so nothing is pinned",
		[lib.release_ref("/artifacts")],
	)
}

deny contains result if {
	some i, artifact in input.release.artifacts
	not lib.artifact_digest(artifact)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has no sha256 or sha512 digest (got %v)", [artifact.name, object.get(artifact, "digest", null)]),
		[lib.release_ref(sprintf("/artifacts/%d/digest", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in input.release.artifacts
	version := artifact_version(artifact)
	mutable(version)
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has the mutable version %q", [artifact.name, version]),
		[lib.release_ref(sprintf("/artifacts/%d/version", [i]))],
		{"artifact": artifact.name},
	)
}

deny contains result if {
	some i, artifact in input.release.artifacts
	version := artifact_version(artifact)
	not mutable(version)
	not semver.is_valid(trim_prefix(version, "v"))
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("artifact %s has version %q, which is not SemVer", [artifact.name, version]),
		[lib.release_ref(sprintf("/artifacts/%d/version", [i]))],
		{"artifact": artifact.name},
	)
}

# An artifact without its own version is released at the release's version.
artifact_version(artifact) := artifact.version if {
	is_string(artifact.version)
} else := input.release.version

mutable(version) if version in lib.param("mutable_versions")

mutable(version) if {
	some pattern in lib.param("mutable_version_patterns")
	regex.match(pattern, version)
}
