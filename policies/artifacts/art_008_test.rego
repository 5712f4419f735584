package gatecheck.controls.art_008_test

import rego.v1

import data.gatecheck.test_facts as facts

import data.gatecheck.controls.art_008

release(names) := {
	"stage": "production",
	"release": object.union(facts.empty.release, {
		"name": "payments", "version": "1.4.0",
		"artifacts": [object.union(facts.empty.artifact, {"name": n}) | some n in names],
		"source": {"path": "evidence/r.json"},
	}),
	"evidence": {},
}

test_conventional_names_pass if {
	count(art_008.deny) == 0 with input as release(["payments-api", "ghcr.io/example-org/payments-api", "payments_worker.v2"])
}

test_unconventional_name_is_reported_with_its_pointer if {
	some r in art_008.deny with input as release(["payments-api", "Payments API"])
	r.control == "GC-ART-008"
	contains(r.msg, `"Payments API"`)
	r.evidence[0].pointer == "/artifacts/1/name"
	r.scope.artifact == "Payments API"
}

test_organisation_pattern_from_data if {
	count(art_008.deny) == 1 with input as release(["payments-api"])
		with data.gatecheck.config.params.artifact_name_pattern as `^acme-[a-z-]+$`
}

test_no_artifacts_is_not_applicable if {
	count(art_008.not_applicable) == 1 with input as release([])
	count(art_008.deny) == 0 with input as release([])
}

test_advisory_at_every_stage if {
	art_008.info.stages == {"production": "warn", "staging": "warn", "dev": "warn"}
}
