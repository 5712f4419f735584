# METADATA
# title: gatecheck control helpers
# description: >-
#   Every control builds its results here, so all results have one shape and every
#   control reads its thresholds and enforcement the same way.
package gatecheck.lib

import rego.v1

# The control's declaration: the first METADATA entry in the chain that carries custom.id
# (normally the package annotation).
control_info(chain) := info if {
	declared := [a | some entry in chain; a := entry.annotations; a.custom.id]
	a := declared[0]
	info := {
		"id": a.custom.id,
		"title": a.title,
		"description": object.get(a, "description", ""),
		"severity": a.custom.severity,
		"remediation": object.get(a.custom, "remediation", ""),
		"frameworks": object.get(a.custom, "frameworks", {}),
		"stages": object.get(a.custom, "stages", {}),
		"evidence_types": object.get(a.custom, "evidence", []),
		"params": object.get(a.custom, "params", []),
	}
}

# The control id alone: results are built per finding (thousands on a large SBOM), so they
# skip assembling the whole declaration.
control_id(chain) := [a.custom.id | some entry in chain; a := entry.annotations; a.custom.id][0]

# A deny or warn result: control id from METADATA, a message, and the evidence behind it.
result(chain, msg, evidence) := {
	"control": control_id(chain),
	"msg": msg,
	"evidence": evidence,
	"scope": {},
}

# As result, with a scope (artifact, component, vulnerability) that waivers can match.
scoped_result(chain, msg, evidence, scope) := {
	"control": control_id(chain),
	"msg": msg,
	"evidence": evidence,
	"scope": scope,
}

# Evidence reference to a normalized evidence item (its bundle file), and optionally the
# JSON pointer inside that file.
ref(item) := {"path": item.source.path, "pointer": object.get(item, "pointer", "")}

ref_at(item, pointer) := {"path": item.source.path, "pointer": pointer}

# Evidence reference to a field of a record (suffix: a JSON pointer inside the record). A
# record signed inside a DSSE envelope sits in the base64 payload (the parsers point at
# `/payload`, or `/dsseEnvelope/payload` in a Sigstore bundle, and set `payload_pointer`), so
# there only the payload itself can be cited.
field_ref(item, suffix) := ref(item) if {
	in_signed_payload(item)
} else := ref_at(item, concat("", [object.get(item, "pointer", ""), suffix]))

in_signed_payload(item) if object.get(item, "payload_pointer", null) != null

in_signed_payload(item) if endswith(object.get(item, "pointer", ""), "/payload")

# A value that states nothing: absent (null) or a string of only whitespace.
blank(value) if value == null

blank(value) if {
	is_string(value)
	trim_space(value) == ""
}

# Reference to the release manifest, optionally at a pointer.
release_ref(pointer) := {"path": input.release.source.path, "pointer": pointer}

# Threshold or list for the current stage: the stage profile's value, else the default.
# Controls list the params they read in custom.params; the main package reports a missing
# one as an evaluation error, so an absent threshold can never turn into a silent pass.
param(name) := value if {
	value := data.gatecheck.config.stages[input.stage].params[name]
} else := data.gatecheck.config.params[name]

# Enforcement of a control at the current stage: the stage profile's override, else the
# control's METADATA default for that stage, else off.
enforcement(info) := level if {
	level := data.gatecheck.config.stages[input.stage].enforce[info.id]
} else := level if {
	level := info.stages[input.stage]
} else := "off"

# Facts have one representation of "absent": parsers write every field they declare, null
# when the evidence does not give it. Rules still never test `x.key == null` (undefined, not
# true, when a key is missing, so the rule silently does not fire); they ask these helpers,
# which treat a missing key and null alike, so a fact left out fails the control that needs it.
missing(obj, key) if object.get(obj, key, null) == null

# The value at key, or default_value when it is missing (absent or null).
value_or(obj, key, default_value) := value if {
	value := object.get(obj, key, null)
	value != null
} else := default_value

# Evidence items of one family (empty when the bundle has none).
evidence(family) := object.get(input.evidence, family, [])

# Nanoseconds between an RFC 3339 time and the effective time (positive: in the past).
age_ns(timestamp) := input.effective_time_ns - time.parse_rfc3339_ns(timestamp)

day_ns := ((24 * 60) * 60) * 1000000000

hour_ns := (60 * 60) * 1000000000

# Severity ordering shared by every control that compares severities.
severity_rank := {"critical": 4, "high": 3, "medium": 2, "low": 1, "none": 0}

at_or_above(severity, threshold) if severity_rank[severity] >= severity_rank[threshold]

# The artifact's sha256 hex, when its digest is a well-formed sha256 digest.
artifact_sha256(artifact) := lower(substring(artifact.digest, 7, -1)) if {
	is_string(artifact.digest)
	regex.match(`^sha256:[0-9a-fA-F]{64}$`, artifact.digest)
}

# Digest algorithms an artifact may be pinned by (the catalog's GC-ART-001), with their hex
# lengths: sha256 for images and most packages, sha512 for npm, which names packages by it.
artifact_digest_lengths := {"sha256": 64, "sha512": 128}

# The artifact's digest as {"alg", "hex" (lowercase)}, when it is a well-formed
# `sha256:<64 hex>` or `sha512:<128 hex>`; undefined otherwise.
artifact_digest(artifact) := {"alg": parts[0], "hex": lower(parts[1])} if {
	is_string(artifact.digest)
	parts := split(artifact.digest, ":")
	count(parts) == 2
	count(parts[1]) == artifact_digest_lengths[parts[0]]
	regex.match(`^[0-9a-fA-F]+$`, parts[1])
}

# Whether a digest set ({alg: hex}: in-toto subjects, SBOM subject hashes) names the artifact's
# bytes by the artifact's own algorithm.
digests_name_artifact(digests, artifact) if {
	d := artifact_digest(artifact)
	lower(object.get(digests, d.alg, "")) == d.hex
}
