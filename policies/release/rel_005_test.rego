package gatecheck.controls.rel_005_test

import rego.v1

import data.gatecheck.controls.rel_005
import data.gatecheck.governance.fixtures as f

logging := {"enabled": true, "attested_by": "j.okafor@example.org", "attested_at": "2026-03-02T09:15:00Z", "reference": null}

card_api := object.union(f.artifact("payments-api"), {"regulated": ["PCI", "pii"], "audit_logging": logging})

rel := f.release({"artifacts": [card_api, f.artifact("payments-docs")]})

officer := f.approval("p.moreau@example.org", ["compliance-officer"], {"kind": "compliance"})

messages(doc) := {r.msg | some r in rel_005.deny with input as doc}

test_regulated_component_with_compliance_approval_and_audit_logging_passes if {
	doc := f.input_for(rel, {"approval": [officer]})
	count(rel_005.deny) == 0 with input as doc
	count(rel_005.not_applicable) == 0 with input as doc
}

test_regulated_component_without_compliance_approval_fails if {
	owner := f.approval("s.nakamura@example.org", ["service-owner"], {})
	messages(f.input_for(rel, {"approval": [owner]})) == {`regulated component(s) payments-api lack a valid approval by a compliance role ["compliance-officer"]`}
}

test_compliance_approval_for_another_version_does_not_count if {
	stale := object.union(officer, {"release_version": "2.3.0"})
	count(rel_005.deny) == 1 with input as f.input_for(rel, {"approval": [stale]})
}

test_compliance_rejection_does_not_count if {
	rejected := object.union(officer, {"decision": "rejected"})
	count(rel_005.deny) == 1 with input as f.input_for(rel, {"approval": [rejected]})
}

test_compliance_role_from_the_directory_counts if {
	reviewer := f.approval("pmoreau", [], {"kind": "compliance"})
	doc := f.input_for(rel, {"approval": [reviewer]})
	count(rel_005.deny) == 1 with input as doc
	count(rel_005.deny) == 0 with input as doc with data.gatecheck.config.params.approver_roles as {"pmoreau": ["compliance-officer"]}
}

test_regulated_component_without_audit_logging_attestation_fails if {
	bare := object.union(card_api, {"audit_logging": null})
	doc := f.input_for(f.release({"artifacts": [bare]}), {"approval": [officer]})
	messages(doc) == {"regulated component payments-api (pci, pii) has no audit-logging attestation"}
	some r in rel_005.deny with input as doc
	r.scope == {"artifact": "payments-api"}
	r.evidence == [{"path": "evidence/release.yaml", "pointer": "/artifacts/0/audit_logging"}]
}

test_audit_logging_switched_off_fails if {
	off := object.union(card_api, {"audit_logging": object.union(logging, {"enabled": false})})
	messages(f.input_for(f.release({"artifacts": [off]}), {"approval": [officer]})) == {"regulated component payments-api (pci, pii) has audit logging switched off"}
}

test_audit_logging_without_attestor_fails if {
	anonymous := object.union(card_api, {"audit_logging": object.union(logging, {"attested_by": null})})
	messages(f.input_for(f.release({"artifacts": [anonymous]}), {"approval": [officer]})) == {"regulated component payments-api (pci, pii) has an audit-logging attestation that names no attestor"}
}

test_unknown_tags_do_not_make_a_component_regulated if {
	tagged := object.union(f.artifact("payments-api"), {"regulated": ["internal"]})
	doc := f.input_for(f.release({"artifacts": [tagged]}), {})
	count(rel_005.deny) == 0 with input as doc
	rel_005.not_applicable == {"no artifact of the release is tagged with a regulated data class"} with input as doc
}

test_release_without_regulated_components_is_not_applicable if {
	doc := f.input_for(f.release({}), {})
	count(rel_005.deny) == 0 with input as doc
	count(rel_005.not_applicable) == 1 with input as doc
}

test_info_declares_control if {
	rel_005.info.id == "GC-REL-005"
}
