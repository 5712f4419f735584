package gatecheck.controls.art_001_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_001

digest := concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "a"])])

release(artifacts) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {"name": "payments", "version": "1.4.0", "artifacts": [object.union(facts.empty.artifact, a) | some a in artifacts], "source": {"path": "evidence/r.json"}}),
	"evidence": {},
}

test_pinned_semver_artifact_passes if {
	count(art_001.deny) == 0 with input as release([{"name": "payments-api", "version": "1.4.0", "digest": digest}])
}

test_artifact_without_version_uses_release_version if {
	count(art_001.deny) == 0 with input as release([{"name": "payments-api", "digest": digest}])
}

test_missing_digest_fails if {
	some r in art_001.deny with input as release([{"name": "payments-api", "version": "1.4.0"}])
	contains(r.msg, "no sha256 or sha512 digest")
	r.scope.artifact == "payments-api"
	r.evidence[0].pointer == "/artifacts/0/digest"
}

test_malformed_digest_fails if {
	count(art_001.deny) == 1 with input as release([{"name": "a", "version": "1.0.0", "digest": "sha256:abc"}])
}

test_latest_tag_fails if {
	some r in art_001.deny with input as release([{"name": "a", "version": "latest", "digest": digest}])
	contains(r.msg, "mutable version")
}

test_snapshot_fails if {
	some r in art_001.deny with input as release([{"name": "a", "version": "1.2.0-SNAPSHOT", "digest": digest}])
	contains(r.msg, "mutable version")
}

test_non_semver_fails if {
	some r in art_001.deny with input as release([{"name": "a", "version": "2024.1", "digest": digest}])
	contains(r.msg, "not SemVer")
}

test_no_artifacts_fails if {
	some r in art_001.deny with input as release([])
	contains(r.msg, "lists no artifacts")
}

# npm names a package by sha512 (its integrity and attestation subject digest).
sha512 := concat("", ["sha512:", concat("", [x | some _ in numbers.range(1, 128); x := "e"])])

test_sha512_pinned_artifact_passes if {
	count(art_001.deny) == 0 with input as release([{"name": "left-pad", "version": "1.3.0", "digest": sha512}])
}

test_sha512_of_the_wrong_length_fails if {
	short := concat("", ["sha512:", concat("", [x | some _ in numbers.range(1, 64); x := "e"])])
	count(art_001.deny) == 1 with input as release([{"name": "left-pad", "version": "1.3.0", "digest": short}])
}

test_other_algorithms_fail if {
	count(art_001.deny) == 1 with input as release([{"name": "a", "version": "1.0.0", "digest": concat("", ["md5:", concat("", [x | some _ in numbers.range(1, 32); x := "e"])])}])
	count(art_001.deny) == 1 with input as release([{"name": "a", "version": "1.0.0", "digest": concat("", ["sha384:", concat("", [x | some _ in numbers.range(1, 96); x := "e"])])}])
}
