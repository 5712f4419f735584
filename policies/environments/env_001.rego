# METADATA
# title: Production data in non-production is masked
# description: >-
#   Every copy of production data into a non-production environment is covered by a masking
#   attestation for the same dataset, source and target (and clone, when the attestation
#   names one) that is verified, recent, made under a current masking policy, lists the
#   dataset's fields and leaves no sensitive field unmasked; when `require_signed_masking` is
#   set, the attestation is DSSE-signed by a trusted attestor key. Environments are
#   classified `production` or `non-production` by the `environments` map in policy data
#   (names compared trimmed and case-folded), never by how a name is spelt; an environment
#   the map does not classify fails, since nobody can tell whether production data left
#   production. Classifications are compared with `masking_sensitive_classifications`
#   trimmed and case-folded (`pii `, `PII` and `pii` are one). A clone is judged by its
#   newest covering attestation; an attestation of a production copy with no clone record
#   is judged too.
# custom:
#   id: GC-ENV-001
#   severity: critical
#   remediation: >-
#     Mask the dataset under the current masking policy, verify it (checksum or sampling) and
#     add the attestation (`gatecheck bundle add masking.yaml`) listing every field of the
#     dataset; signed by the masking service's key when signatures are required. Remove
#     unmasked copies. Classify every environment that data is copied between in the
#     `environments` parameter (name -> production or non-production).
#   frameworks:
#     soc2: [C1.1, CC6.1]
#     iso27001: [A.8.11, A.8.33]
#     nist-800-53: [SA-3(2), SC-28, PM-25]
#   evidence: [masking-attestation, data-clone]
#   params:
#     - environments
#     - masking_max_age_days
#     - masking_min_policy_version
#     - masking_sensitive_classifications
#     - require_signed_masking
#     - trusted_masking_attestors
#   stages:
#     production: fail
#     staging: fail
#     dev: warn
package gatecheck.controls.env_001

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

# Environment names as the policy data spells them, trimmed and case-folded.
env_key(name) := lower(trim_space(name))

environment_classes := {env_key(name): class | some name, class in lib.param("environments")}

env_class(name) := environment_classes[env_key(name)]

out_of_production(source_env, target_env) if {
	env_class(source_env) == "production"
	env_class(target_env) == "non-production"
}

sensitive := {lower(trim_space(s)) | some s in lib.param("masking_sensitive_classifications")}

is_sensitive(classification) if lower(trim_space(classification)) in sensitive

# Copies of production data into a non-production environment.
clones := [c |
	some c in lib.evidence("data_clone")
	out_of_production(c.from, c.to)
]

attestations := [a |
	some a in lib.evidence("masking_attestation")
	out_of_production(a.source_environment, a.target_environment)
]

time_ns(record) := time.parse_rfc3339_ns(record.time)

# The attestation is about this clone: same dataset and environments, and the same clone
# when both name it, else made no earlier than the copy.
covers(a, c) if {
	a.dataset == c.dataset
	env_key(a.source_environment) == env_key(c.from)
	env_key(a.target_environment) == env_key(c.to)
	same_clone(a, c)
}

same_clone(a, c) if {
	both_named(a, c)
	a.clone_id == c.id
}

same_clone(a, c) if {
	not both_named(a, c)
	time_ns(a) >= time_ns(c)
}

both_named(a, c) if {
	object.get(a, "clone_id", null) != null
	object.get(c, "id", null) != null
}

# The newest covering attestation of each clone (ties: the first in the bundle).
judged contains [c, a] if {
	some c in clones
	covering := [x | some x in attestations; covers(x, c)]
	count(covering) > 0
	newest := max([time_ns(x) | some x in covering])
	a := [x | some x in covering; time_ns(x) == newest][0]
}

# Attestations of production copies no clone record accounts for.
judged contains [null, a] if {
	some a in attestations
	not covers_any_clone(a)
}

covers_any_clone(a) if {
	some c in clones
	covers(a, c)
}

# -- environments the policy data does not classify ------------------------------------------

deny contains result if {
	some kind in ["data_clone", "masking_attestation"]
	some record in lib.evidence(kind)
	some name in record_environments(kind, record)
	not env_class(name)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("environment %q (%s of %s) has no class in the environments parameter, so whether production data left production cannot be told", [
			name, kind_label[kind], record.dataset,
		]),
		[lib.ref(record)],
	)
}

kind_label := {"data_clone": "data clone", "masking_attestation": "masking attestation"}

record_environments("data_clone", r) := {r.from, r.to}

record_environments("masking_attestation", r) := {r.source_environment, r.target_environment}

deny contains result if {
	some name, class in lib.param("environments")
	not class in {"production", "non-production"}
	result := lib.result(
		rego.metadata.chain(),
		sprintf("parameter environments classifies %q as %v; use production or non-production", [name, class]),
		[],
	)
}

not_applicable contains "no production data was copied into a non-production environment" if {
	count(clones) == 0
	count(attestations) == 0
	not unclassified_environment
}

unclassified_environment if {
	some kind in ["data_clone", "masking_attestation"]
	some record in lib.evidence(kind)
	some name in record_environments(kind, record)
	not env_class(name)
}

what(c, a) := sprintf("clone %s of %s from %s to %s", [object.get(c, "id", null), c.dataset, c.from, c.to]) if {
	c != null
} else := sprintf("copy of %s from %s to %s", [a.dataset, a.source_environment, a.target_environment])

clone_refs(c) := [] if c == null

else := [lib.ref(c)]

refs(c, a) := array.concat(clone_refs(c), [lib.ref(a)])

deny contains result if {
	some c in clones
	not has_cover(c)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s at %s has no masking attestation", [what(c, null), c.time]),
		[lib.ref(c)],
	)
}

has_cover(c) if {
	some [x, _] in judged
	x == c
}

deny contains result if {
	some [c, a] in judged
	problem := attestation_problems(a)[_]
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s: masking attestation by %s %s", [what(c, a), a.attestor, problem]),
		refs(c, a),
	)
}

deny contains result if {
	some [c, a] in judged
	some i, field in a.fields
	is_sensitive(field.classification)
	field.masked != true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s: field %s (%s) is not masked", [what(c, a), field.name, field.classification]),
		array.concat(clone_refs(c), [gov.field_ref(a, sprintf("/fields/%d", [i]))]),
	)
}

attestation_problems(a) := [p | some check in checks; p := check_problem(check, a)]

checks := ["fields", "verification", "age", "policy_version", "policy_format", "policy_minimum", "signature"]

# An attestation that lists no field shows nothing masked: it cannot vouch for the copy.
check_problem("fields", a) := "lists no fields, so it shows nothing was masked" if {
	count(object.get(a, "fields", [])) == 0
}

check_problem("verification", a) := "records no verification of the masking" if object.get(a, "verification", null) == null

check_problem("verification", a) := sprintf("records a %s verification that %s", [a.verification.method, a.verification.result]) if {
	a.verification.result != "passed"
}

check_problem("age", a) := sprintf("is from %s, more than %d days before %s", [a.time, days, input.effective_time]) if {
	days := lib.param("masking_max_age_days")
	input.effective_time_ns - time_ns(a) > days * lib.day_ns
}

check_problem("age", a) := sprintf("is dated %s, after the effective time %s", [a.time, input.effective_time]) if {
	time_ns(a) > input.effective_time_ns
}

check_problem("policy_version", a) := sprintf("used masking policy %s, older than the minimum %s", [a.masking_policy_version, minimum]) if {
	minimum := lib.param("masking_min_policy_version")
	version_key(a.masking_policy_version) < version_key(minimum)
}

check_problem("policy_format", a) := sprintf("names masking policy version %q, which is not a dotted number", [a.masking_policy_version]) if {
	not version_key(a.masking_policy_version)
}

check_problem("policy_minimum", _) := sprintf("cannot be judged: masking_min_policy_version %q is not a dotted number", [minimum]) if {
	minimum := lib.param("masking_min_policy_version")
	not version_key(minimum)
}

check_problem("signature", a) := sprintf("is not signed by a trusted attestor key (%s)", [signature_state(a)]) if {
	lib.param("require_signed_masking")
	not trusted_signature(a)
}

signature_state(a) := "unsigned" if {
	not object.get(a, "signed", false)
} else := a.verification_error if {
	not object.get(a, "verified", false)
	not object.get(a, "verification_error", null) == null
} else := sprintf("signed by key %s, not in trusted_masking_attestors", [a.signer.key_id])

trusted_signature(a) if {
	object.get(a, "verified", false) == true
	trusted_attestor(a.signer)
}

trusted_attestor(_) if count(lib.param("trusted_masking_attestors")) == 0

trusted_attestor(signer) if {
	some entry in lib.param("trusted_masking_attestors")
	key := attestor_key(entry)
	key in {signer.key_id, object.get(signer, "alias", null)}
}

attestor_key(entry) := entry if is_string(entry)

attestor_key(entry) := entry.key_id if is_object(entry)

# "v3.2" -> [3, 2, 0, 0]: dotted numeric versions compared component by component.
version_key(version) := array.concat(parts, [0 | some i in numbers.range(1, 4); i > count(parts)]) if {
	regex.match(`^[vV]?[0-9]+(\.[0-9]+){0,3}$`, version)
	parts := [to_number(p) | some p in split(trim_left(version, "vV"), ".")]
}
