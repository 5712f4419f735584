# METADATA
# title: gatecheck governance test fixtures
# description: >-
#   Inputs shaped as gatecheck's parsers normalize them (with the framework's `source`), shared
#   by the release, change and environment control tests.
package gatecheck.governance.fixtures

import data.gatecheck.test_facts as facts
import rego.v1

effective_time := "2026-03-04T10:30:00Z" # a Wednesday

source(name) := {
	"path": sprintf("evidence/%s", [name]),
	"name": name,
	"format": "gatecheck",
	"sha256": "0000000000000000000000000000000000000000000000000000000000000000",
	"added_at": "2026-03-04T09:00:00Z",
}

unsigned := {"signed": false, "verified": false, "signer": null, "verification_error": null}

artifact(name) := object.union(facts.empty.artifact, {
	"name": name,
	"version": "2.4.0",
	"digest": "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
	"ci_id": sprintf("ci-%s", [name]),
	"regulated": [],
	"audit_logging": null,
})

release(overrides) := object.union(
	object.union(facts.empty.release, {
		"name": "payments-api",
		"version": "2.4.0",
		"class": "standard",
		"risk": "medium",
		"change_id": "CHG100",
		"artifacts": [artifact("payments-api")],
		"deployment": {
			"strategy": "canary",
			"initiator": "release-bot",
			"initiator_roles": ["deployer"],
			"environment": "production",
		},
		"rollback": {
			"error_rate": 0.02,
			"latency_p95_ms": 450,
			"latency_p99_ms": null,
			"data_consistency_check": null,
		},
		"data_migration": false,
		"source": source("release.yaml"),
	}),
	overrides,
)

change_record(overrides) := object.union(
	object.union(
		object.union(facts.empty.change_record, {
			"id": "CHG100",
			"title": "Payments API 2.4",
			"release": {"name": "payments-api", "version": "2.4.0"},
			"status": "approved",
			"requester": "m.lindqvist@example.org",
			"authors": ["a.ferreira", "d.chen"],
			"pre_approved": false,
			"pre_approved_template": null,
			"emergency": null,
			"planned_window": null,
			"cab_review_due": null,
			"created_at": "2026-02-26T14:02:11Z",
			"attributes": {},
			"pointer": "",
			"source": source("change.yaml"),
		}),
		unsigned,
	),
	overrides,
)

approval(approver, roles, overrides) := object.union(
	object.union(
		object.union(facts.empty.approval, {
			"approver": approver,
			"roles": roles,
			"person": approver,
			"person_roles": roles,
			"decision": "approved",
			"time": "2026-03-03T09:00:00Z",
			"change_id": "CHG100",
			"release_version": "2.4.0",
			"bundle_digest": null,
			"kind": "change",
			"comment": null,
			"pointer": "/approvals/0",
			"source": source("approvals.yaml"),
		}),
		unsigned,
	),
	overrides,
)

# The input document for a release with evidence at the production stage.
input_for(rel, evidence) := {
	"stage": "production",
	"effective_time": effective_time,
	"effective_time_ns": time.parse_rfc3339_ns(effective_time),
	"release": rel,
	"bundle": {"digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "evidence": []},
	"evidence": evidence,
}

at(doc, when) := object.union(doc, {
	"effective_time": when,
	"effective_time_ns": time.parse_rfc3339_ns(when),
})

stage(doc, name) := object.union(doc, {"stage": name})
