# METADATA
# title: Temporary environments expire
# description: >-
#   Every ephemeral environment has a time to live no longer than `max_ephemeral_ttl_hours`,
#   and no snapshot shows one still running past it. Forgotten environments hold copies of
#   code, data and credentials long after anyone looks after them. An environment whose type
#   is neither permanent nor ephemeral cannot be judged and is reported.
# custom:
#   id: GC-ENV-004
#   severity: low
#   remediation: >-
#     Give each ephemeral environment a TTL (`ttl_hours`) within the limit and let the
#     provisioning tooling destroy it when the TTL ends.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.31, A.8.32]
#     nist-800-53: [CM-2, CM-3]
#   evidence: [environment-snapshot]
#   params: [max_ephemeral_ttl_hours]
#   applicability: [environment-snapshot]
#   stages:
#     dev: warn
#     staging: warn
#     production: warn
package gatecheck.controls.env_004

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

snapshots := lib.evidence("environment_snapshot")

ephemeral := [s | some s in snapshots; s.kind == "ephemeral"]

unknown_kind := [s | some s in snapshots; not s.kind in {"ephemeral", "permanent"}]

not_applicable contains "no ephemeral environment is recorded in the bundle's environment snapshots" if {
	count(ephemeral) == 0
	count(unknown_kind) == 0
}

deny contains result if {
	some s in unknown_kind
	result := lib.result(
		rego.metadata.chain(),
		sprintf("environment %s has type %v; use permanent or ephemeral", [s.environment, s.kind]),
		[lc.field_ref(s, "/type")],
	)
}

deny contains result if {
	some s in ephemeral
	s.ttl_hours == null
	result := lib.result(
		rego.metadata.chain(),
		sprintf("ephemeral environment %s has no TTL", [s.environment]),
		[lc.field_ref(s, "/ttl_hours")],
	)
}

deny contains result if {
	some s in ephemeral
	is_number(s.ttl_hours)
	s.ttl_hours > lib.param("max_ephemeral_ttl_hours")
	result := lib.result(
		rego.metadata.chain(),
		sprintf("ephemeral environment %s has a TTL of %v hours, above the %v-hour limit", [s.environment, s.ttl_hours, lib.param("max_ephemeral_ttl_hours")]),
		[lc.field_ref(s, "/ttl_hours")],
	)
}

deny contains result if {
	some s in ephemeral
	is_number(s.ttl_hours)
	is_string(s.created_at)
	is_string(s.captured_at)
	overdue_ns := (lc.ns(s.captured_at) - lc.ns(s.created_at)) - (s.ttl_hours * lib.hour_ns)
	overdue_ns > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("ephemeral environment %s was still running at %s, %v hours past its %v-hour TTL", [s.environment, s.captured_at, round((overdue_ns / lib.hour_ns) * 10) / 10, s.ttl_hours]),
		[lc.field_ref(s, "/captured_at")],
	)
}
