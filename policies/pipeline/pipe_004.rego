# METADATA
# title: Pipeline actions logged with actor and time
# description: >-
#   The pipeline's audit log records who did what and when for every action, and its hash
#   chain is intact: no event was edited, removed, inserted or reordered after it was
#   written. A log that is signed must verify with a configured key.
# custom:
#   id: GC-PIPE-004
#   severity: medium
#   remediation: >-
#     Export the pipeline run's audit log with `actor`, `time`, `prev_hash` and `hash` on every
#     event (see gatecheck.evidence.records.lifecycle for the canonical form) and add it to the
#     bundle; a broken chain means the log was altered and must be investigated.
#   frameworks:
#     soc2: [CC7.2, CC8.1]
#     iso27001: [A.8.15, A.8.32]
#     nist-800-53: [AU-2, AU-3, AU-9, AU-10, CM-3]
#     slsa-v1.0: [Build L2 hosted build platform]
#   evidence: [pipeline-audit-log]
#   params: []
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.pipe_004

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

logs := lib.evidence("pipeline_audit_log")

log_name(log) := object.get(object.get(log, "source", {}), "name", "the audit log")

indexes(list) := concat(", ", [sprintf("%d", [e.index]) | some e in array.slice(list, 0, 20)])

deny contains result if {
	count(logs) == 0
	result := lib.result(
		rego.metadata.chain(),
		"the bundle has no pipeline audit log",
		[],
	)
}

deny contains result if {
	some log in logs
	log.event_count == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s records no event", [log_name(log)]),
		[lib.ref(log)],
	)
}

deny contains result if {
	some log in logs
	some field in ["actor", "time"]
	lacking := [e | some e in log.events; lc.blank(e[field])]
	count(lacking) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s in %s %s no %s (events %s)", [lc.plural(count(lacking), "event"), log_name(log), has_have(count(lacking)), field, indexes(lacking)]),
		[lib.ref_at(log, e.pointer) | some e in array.slice(lacking, 0, 20)],
	)
}

has_have(1) := "has"

has_have(n) := "have" if n != 1

deny contains result if {
	some log in logs
	log.chain_valid != true
	at := log.chain_broken_at
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the hash chain of %s is broken at event %v: %s", [log_name(log), at, log.chain_error]),
		[chain_ref(log, at)],
	)
}

chain_ref(log, at) := lib.ref_at(log, log.events[at].pointer) if is_number(at)

else := lib.ref(log)

deny contains result if {
	some log in logs
	object.get(log, "signed", false) == true
	object.get(log, "verified", false) != true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s is signed but its signature does not verify: %v", [log_name(log), object.get(log, "verification_error", null)]),
		[lib.ref(log)],
	)
}
