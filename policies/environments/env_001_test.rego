package gatecheck.controls.env_001_test

import rego.v1

import data.gatecheck.controls.env_001
import data.gatecheck.governance.fixtures as f

field(name, classification, masked) := {"name": name, "classification": classification, "masked": masked, "method": null}

attestation(overrides) := object.union(
	object.union(f.unsigned, {
		"dataset": "payments.customers",
		"source_environment": "production",
		"target_environment": "staging",
		"clone_id": "clone-7f3e2a",
		"fields": [
			field("customer_id", "internal", false),
			field("email", "pii", true),
			field("card_pan", "pci", true),
		],
		"masking_policy_version": "3.2",
		"verification": {"method": "sampling", "result": "passed", "details": null},
		"attestor": "data-platform-masking@example.org",
		"time": "2026-03-03T02:14:09Z",
		"pointer": "",
		"source": f.source("masking.yaml"),
	}),
	overrides,
)

clone(overrides) := object.union(
	{
		"id": "clone-7f3e2a",
		"dataset": "payments.customers",
		"from": "production",
		"to": "staging",
		"time": "2026-03-03T02:01:44Z",
		"actor": "data-platform/clone-job",
		"pointer": "/clones/0",
		"source": f.source("clones.json"),
	},
	overrides,
)

doc(clones, attestations) := f.input_for(f.release({}), {"data_clone": clones, "masking_attestation": attestations})

messages(d) := {r.msg | some r in env_001.deny with input as d}

test_masked_verified_clone_passes if {
	d := doc([clone({})], [attestation({})])
	count(env_001.deny) == 0 with input as d
	count(env_001.not_applicable) == 0 with input as d
}

test_prod_clone_with_one_unmasked_sensitive_field_fails if {
	fields := [field("customer_id", "internal", false), field("email", "pii", true), field("phone", "PII", false)]
	d := doc([clone({})], [attestation({"fields": fields})])
	messages(d) == {"clone clone-7f3e2a of payments.customers from production to staging: field phone (PII) is not masked"}
	some r in env_001.deny with input as d
	r.evidence == [
		{"path": "evidence/clones.json", "pointer": "/clones/0"},
		{"path": "evidence/masking.yaml", "pointer": "/fields/2"},
	]
}

test_prod_clone_without_attestation_fails if {
	messages(doc([clone({})], [])) == {"clone clone-7f3e2a of payments.customers from production to staging at 2026-03-03T02:01:44Z has no masking attestation"}
}

test_attestation_for_another_dataset_does_not_cover_the_clone if {
	other := attestation({"dataset": "payments.ledger", "clone_id": null})
	messages(doc([clone({})], [other])) == {"clone clone-7f3e2a of payments.customers from production to staging at 2026-03-03T02:01:44Z has no masking attestation"}
}

test_attestation_for_another_clone_does_not_cover_it if {
	messages(doc([clone({})], [attestation({"clone_id": "clone-0000"})])) == {"clone clone-7f3e2a of payments.customers from production to staging at 2026-03-03T02:01:44Z has no masking attestation"}
}

test_unlinked_attestation_older_than_the_clone_does_not_cover_it if {
	earlier := attestation({"clone_id": null, "time": "2026-03-03T01:00:00Z"})
	"clone clone-7f3e2a of payments.customers from production to staging at 2026-03-03T02:01:44Z has no masking attestation" in messages(doc([clone({})], [earlier]))
	later := attestation({"clone_id": null})
	count(env_001.deny) == 0 with input as doc([clone({})], [later])
}

test_clone_is_judged_by_its_newest_attestation if {
	failed := attestation({"verification": {"method": "sampling", "result": "failed", "details": null}, "time": "2026-03-03T02:10:00Z"})
	count(env_001.deny) == 0 with input as doc([clone({})], [failed, attestation({})])
	count(env_001.deny) == 1 with input as doc([clone({})], [object.union(failed, {"time": "2026-03-03T03:00:00Z"}), attestation({})])
}

test_failed_verification_fails if {
	failed := attestation({"verification": {"method": "checksum", "result": "failed", "details": null}})
	messages(doc([clone({})], [failed])) == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org records a checksum verification that failed"}
}

test_unverified_masking_fails if {
	count(env_001.deny) == 1 with input as doc([clone({})], [attestation({"verification": null})])
	unverified := attestation({"verification": null})
	messages(doc([clone({})], [unverified])) == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org records no verification of the masking"}
}

test_unnamed_clone_is_covered_by_a_later_attestation if {
	anonymous := clone({"id": null})
	unlinked := attestation({"clone_id": null})
	count(env_001.deny) == 0 with input as doc([anonymous], [unlinked])
	count(env_001.deny) == 0 with input as doc([anonymous], [attestation({})])
}

test_attestation_older_than_the_maximum_age_fails if {
	d := f.at(doc([clone({})], [attestation({})]), "2026-04-03T02:14:10Z")
	messages(d) == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org is from 2026-03-03T02:14:09Z, more than 30 days before 2026-04-03T02:14:10Z"}
}

test_outdated_masking_policy_fails if {
	d := doc([clone({})], [attestation({"masking_policy_version": "v2.9"})])
	count(env_001.deny) == 0 with input as d
	msgs := messages(d) with data.gatecheck.config.params.masking_min_policy_version as "3.0"
	msgs == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org used masking policy v2.9, older than the minimum 3.0"}
	count(env_001.deny) == 0 with input as d with data.gatecheck.config.params.masking_min_policy_version as "2.9.0"
	count(env_001.deny) == 0 with input as doc([clone({})], [attestation({"masking_policy_version": "3.10"})]) with data.gatecheck.config.params.masking_min_policy_version as "3.9"
}

test_unreadable_policy_version_fails if {
	messages(doc([clone({})], [attestation({"masking_policy_version": "latest"})])) == {`clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org names masking policy version "latest", which is not a dotted number`}
}

test_unsigned_attestation_fails_when_signatures_are_required if {
	d := doc([clone({})], [attestation({})])
	msgs := messages(d) with data.gatecheck.config.params.require_signed_masking as true
	msgs == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org is not signed by a trusted attestor key (unsigned)"}
}

test_attestation_signed_by_a_trusted_attestor_passes if {
	signed := attestation({"signed": true, "verified": true, "signer": {"key_id": "5f1c", "alias": "masking-service"}, "payload_pointer": "/predicate", "pointer": "/payload"})
	count(env_001.deny) == 0 with input as doc([clone({})], [signed])
		with data.gatecheck.config.params.require_signed_masking as true
		with data.gatecheck.config.params.trusted_masking_attestors as [{"key_id": "masking-service"}]
	msgs := messages(doc([clone({})], [signed])) with data.gatecheck.config.params.require_signed_masking as true
		with data.gatecheck.config.params.trusted_masking_attestors as ["0a0b"]
	msgs == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org is not signed by a trusted attestor key (signed by key 5f1c, not in trusted_masking_attestors)"}
}

test_signature_that_does_not_verify_fails_when_required if {
	forged := attestation({"signed": true, "verification_error": "none of the 1 signature(s) verifies with the 1 configured key(s)"})
	some m in messages(doc([clone({})], [forged])) with data.gatecheck.config.params.require_signed_masking as true
	endswith(m, "(none of the 1 signature(s) verifies with the 1 configured key(s))")
}

test_attestation_without_clone_record_is_judged_too if {
	fields := [field("email", "pii", false)]
	messages(doc([], [attestation({"fields": fields})])) == {"copy of payments.customers from production to staging: field email (pii) is not masked"}
}

test_copies_between_non_production_environments_are_not_applicable if {
	d := doc([clone({"from": "staging", "to": "qa"})], [attestation({"source_environment": "staging", "target_environment": "qa", "fields": [field("email", "pii", false)]})])
	count(env_001.deny) == 0 with input as d
	env_001.not_applicable == {"no production data was copied into a non-production environment"} with input as d
}

test_copy_between_production_environments_is_not_applicable if {
	d := doc([clone({"to": "prod"})], [])
	count(env_001.deny) == 0 with input as d
	count(env_001.not_applicable) == 1 with input as d
}

test_no_clones_is_not_applicable if {
	env_001.not_applicable == {"no production data was copied into a non-production environment"} with input as doc([], [])
}

test_info_declares_control if {
	env_001.info.id == "GC-ENV-001"
	env_001.info.stages.staging == "fail"
}

test_signed_attestation_cites_its_payload if {
	signed := attestation({"signed": true, "verified": true, "signer": {"key_id": "5f1c", "alias": null}, "pointer": "/payload", "payload_pointer": "/predicate", "fields": [field("email", "pii", false)]})
	some r in env_001.deny with input as doc([clone({})], [signed])
	r.evidence == [
		{"path": "evidence/clones.json", "pointer": "/clones/0"},
		{"path": "evidence/masking.yaml", "pointer": "/payload"},
	]
}

# -- positive evidence: fields listed, classifications normalized ----------------------------

test_attestation_listing_no_fields_fails if {
	d := doc([clone({})], [attestation({"fields": []})])
	messages(d) == {"clone clone-7f3e2a of payments.customers from production to staging: masking attestation by data-platform-masking@example.org lists no fields, so it shows nothing was masked"}
}

test_every_spelling_of_a_sensitive_classification_fails if {
	every spelled in ["pii ", " PII", "Pii", "pci\t"] {
		count(env_001.deny) == 1 with input as doc([clone({})], [attestation({"fields": [field("email", spelled, false)]})])
	}
}

# -- environments resolve to classes through policy data -------------------------------------

test_environment_names_are_compared_trimmed_and_case_folded if {
	d := doc([clone({"from": " Production", "to": "STAGING "})], [attestation({"source_environment": "production", "target_environment": "staging"})])
	count(env_001.deny) == 0 with input as d
	count(env_001.not_applicable) == 0 with input as d
}

test_a_production_environment_named_otherwise_is_production_through_the_map if {
	d := doc([clone({"from": "eu-live-1"})], [])
	classes := {"eu-live-1": "production", "staging": "non-production"}
	messages(d) == {"clone clone-7f3e2a of payments.customers from eu-live-1 to staging at 2026-03-03T02:01:44Z has no masking attestation"} with data.gatecheck.config.params.environments as classes
}

test_production_spelling_without_a_class_is_not_production if {
	# The map, not the spelling, decides: "production" classified non-production is not production.
	d := doc([clone({})], [])
	env_001.not_applicable == {"no production data was copied into a non-production environment"} with input as d
		with data.gatecheck.config.params.environments as {"production": "non-production", "staging": "non-production"}
}

test_unclassified_environment_fails_and_is_never_not_applicable if {
	d := doc([clone({"from": "prod-eu"})], [])
	some r in env_001.deny with input as d
	r.msg == "environment \"prod-eu\" (data clone of payments.customers) has no class in the environments parameter, so whether production data left production cannot be told"
	count(env_001.not_applicable) == 0 with input as d
}

test_misspelt_class_in_the_parameter_fails if {
	some r in env_001.deny with input as doc([], [])
		with data.gatecheck.config.params.environments as {"production": "Production"}
	contains(r.msg, "parameter environments classifies \"production\" as Production")
}
