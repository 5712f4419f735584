package gatecheck.controls.chg_002_test

import rego.v1

import data.gatecheck.controls.chg_002
import data.gatecheck.governance.fixtures as f
import data.gatecheck.test_facts as facts

owner := f.approval("s.nakamura@example.org", ["service-owner"], {})

messages(doc) := {r.msg | some r in chg_002.deny with input as doc}

doc_with(rel, change, approvals) := f.input_for(rel, {"change_record": [change], "approval": approvals})

test_independent_approver_and_deployer_pass if {
	count(chg_002.deny) == 0 with input as doc_with(f.release({}), f.change_record({}), [owner])
}

test_approver_who_is_also_the_author_fails if {
	self := f.approval("D.Chen", ["security"], {"pointer": "/approvals/1"})
	doc := doc_with(f.release({}), f.change_record({}), [owner, self])
	messages(doc) == {"D.Chen approved change CHG100 that they authored"}
	some r in chg_002.deny with input as doc
	r.evidence == [
		{"path": "evidence/approvals.yaml", "pointer": "/approvals/1"},
		{"path": "evidence/change.yaml", "pointer": "/authors"},
	]
}

test_author_under_an_alias_is_still_the_author if {
	self := f.approval("dchen-gh", [], {})
	doc := doc_with(f.release({}), f.change_record({}), [owner, self])
	count(chg_002.deny) == 0 with input as doc
	messages(doc) == {"dchen-gh approved change CHG100 that they authored"} with data.gatecheck.config.params.identity_aliases as {"dchen-gh": "d.chen"}
}

test_author_rejecting_their_own_change_is_not_a_violation if {
	self := f.approval("d.chen", [], {"decision": "rejected"})
	count(chg_002.deny) == 0 with input as doc_with(f.release({}), f.change_record({}), [owner, self])
}

test_approver_who_requested_the_change_fails if {
	self := f.approval("m.lindqvist@example.org", [], {})
	messages(doc_with(f.release({}), f.change_record({}), [self])) == {"m.lindqvist@example.org approved change CHG100 that they requested"}
}

test_initiator_who_is_the_only_author_fails if {
	change := f.change_record({"authors": ["Release-Bot"]})
	messages(doc_with(f.release({}), change, [owner])) == {"deployment initiator release-bot is the only author of change CHG100"}
}

test_initiator_who_is_one_of_several_authors_passes if {
	change := f.change_record({"authors": ["release-bot", "d.chen"]})
	count(chg_002.deny) == 0 with input as doc_with(f.release({}), change, [owner])
}

test_initiator_without_a_deployment_role_fails if {
	rel := f.release({"deployment": {"initiator": "a.intern", "initiator_roles": ["developer"]}})
	messages(doc_with(rel, f.change_record({}), [owner])) == {`deployment initiator a.intern holds none of the deployment roles ["deployer", "release-manager"]`}
}

test_initiator_role_from_the_directory_counts if {
	rel := f.release({"deployment": {"initiator": "a.intern", "initiator_roles": []}})
	count(chg_002.deny) == 0 with input as doc_with(rel, f.change_record({}), [owner])
		with data.gatecheck.config.params.approver_roles as {"A.Intern": ["release-manager"]}
}

test_missing_initiator_fails if {
	rel := f.release({"deployment": {"initiator": null}})
	messages(doc_with(rel, f.change_record({}), [owner])) == {"the release manifest names no deployment initiator"}
}

test_release_without_deployment_section_fails if {
	messages(doc_with(f.release({"deployment": null}), f.change_record({}), [owner])) == {"the release manifest names no deployment initiator"}
}

test_missing_change_record_fails if {
	messages(f.input_for(f.release({}), {"approval": [owner]})) == {"no change record CHG100 in the bundle, so authors and requester are unknown"}
}

test_change_record_without_authors_fails if {
	messages(doc_with(f.release({}), f.change_record({"authors": []}), [owner])) == {"change record CHG100 lists no authors"}
}

test_info_declares_control if {
	chg_002.info.id == "GC-CHG-002"
	chg_002.info.stages.production == "fail"
}

# An unsigned SLSA provenance statement of a build of `commit` (evidence/signing/provenance.py).
provenance(commit) := object.union(facts.empty.provenance, {
	"statement_type": "https://in-toto.io/Statement/v1",
	"predicate_type": "https://slsa.dev/provenance/v1",
	"slsa_version": "1",
	"build_source": {
		"repository": "https://github.com/example-org/payments-api",
		"uri": "git+https://github.com/example-org/payments-api@refs/tags/v2.4.0",
		"ref": "refs/tags/v2.4.0",
		"commit": commit,
		"pointer": "/predicate/buildDefinition/externalParameters/workflow",
	},
	"signed": false,
	"verified": false,
	"reason": "the provenance statement is not signed",
	"pointer": "",
	"source": f.source("provenance.json"),
})

test_review_of_a_commit_other_than_the_built_one_fails if {
	reviewed := f.approval("r.haddad@example.org", ["security"], {"commit_id": "1111111111111111111111111111111111111111"})
	built := provenance("2222222222222222222222222222222222222222")
	some r in chg_002.deny with input as f.input_for(f.release({}), {"change_record": [f.change_record({})], "approval": [reviewed], "provenance": [built]})
	contains(r.msg, "approved source commit 1111111111111111111111111111111111111111")
}

test_review_of_the_built_commit_passes_the_commit_check if {
	commit := "2222222222222222222222222222222222222222"
	reviewed := f.approval("r.haddad@example.org", ["security"], {"commit_id": commit})
	built := provenance(commit)
	results := chg_002.deny with input as f.input_for(f.release({}), {"change_record": [f.change_record({})], "approval": [reviewed], "provenance": [built]})
	every r in results {
		not contains(r.msg, "source commit")
	}
}
