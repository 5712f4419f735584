package gatecheck.controls.rel_003_test

import rego.v1

import data.gatecheck.controls.rel_003
import data.gatecheck.governance.fixtures as f

cmdb(ids) := object.union(f.unsigned, {
	"system": "https://cmdb.example.org",
	"exported_at": "2026-03-04T06:00:00Z",
	"items": [{"id": id, "name": null, "class": null, "environment": null, "status": null, "pointer": "/items/0"} | some id in ids],
	"pointer": "",
	"source": f.source("cmdb.json"),
})

two_artifacts := f.release({"artifacts": [f.artifact("payments-api"), f.artifact("payments-worker")]})

messages(doc) := {r.msg | some r in rel_003.deny with input as doc}

test_mapped_artifacts_without_export_pass if {
	count(rel_003.deny) == 0 with input as f.input_for(two_artifacts, {})
}

test_mapped_artifacts_found_in_the_export_pass if {
	doc := f.input_for(two_artifacts, {"cmdb_export": [cmdb(["ci-payments-api", "ci-payments-worker"])]})
	count(rel_003.deny) == 0 with input as doc
	count(rel_003.not_applicable) == 0 with input as doc
}

test_artifact_without_ci_id_fails if {
	rel := f.release({"artifacts": [f.artifact("payments-api"), object.union(f.artifact("payments-worker"), {"ci_id": null})]})
	doc := f.input_for(rel, {})
	messages(doc) == {"artifact payments-worker names no CMDB configuration item (ci_id)"}
	some r in rel_003.deny with input as doc
	r.scope == {"artifact": "payments-worker"}
	r.evidence == [{"path": "evidence/release.yaml", "pointer": "/artifacts/1/ci_id"}]
}

test_ci_id_absent_from_the_export_fails if {
	doc := f.input_for(two_artifacts, {"cmdb_export": [cmdb(["ci-payments-api"])]})
	messages(doc) == {"artifact payments-worker names CI ci-payments-worker, which the CMDB export does not contain"}
}

test_several_exports_are_combined if {
	doc := f.input_for(two_artifacts, {"cmdb_export": [cmdb(["ci-payments-api"]), cmdb(["ci-payments-worker"])]})
	count(rel_003.deny) == 0 with input as doc
}

test_required_export_missing_fails if {
	msgs := messages(f.input_for(two_artifacts, {})) with data.gatecheck.config.params.require_cmdb_export as true
	msgs == {"no CMDB export in the bundle to check the configuration items against"}
}

test_release_without_artifacts_is_not_applicable if {
	doc := f.input_for(f.release({"artifacts": []}), {})
	count(rel_003.deny) == 0 with input as doc
	rel_003.not_applicable == {"the release lists no artifacts"} with input as doc
}

test_info_declares_control if {
	rel_003.info.id == "GC-REL-003"
	rel_003.info.stages.staging == "warn"
}
