package gatecheck.controls.art_004_labels_test

import rego.v1

import data.gatecheck.controls.art_004

import data.gatecheck.artifacts.fixtures as f
import data.gatecheck.test_facts as facts

# Components as the SBOM parsers give them when a field is missing from the SBOM.
component(name, version, purl, licenses) := {
	"name": name, "version": version, "purl": purl, "type": "library",
	"licenses": licenses, "hashes": {}, "pointer": sprintf("/components/%s", [name]),
}

doc(components) := {
	"stage": "production",
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "1.4.0", "source": {"path": "evidence/release.json"}}),
	"evidence": {"sbom": [{
		"spec": "cyclonedx", "spec_version": "1.6", "valid": true, "errors": [],
		"subject": null, "subjects": [], "components": components, "component_count": count(components),
		"timestamp": "2026-01-20T08:00:00Z", "tools": [],
		"source": f.source("evidence/sbom/bom.json", "cyclonedx-json"),
	}]},
}

test_a_denied_component_without_purl_is_scoped_by_name if {
	some r in art_004.deny with input as doc([component("vendored-lib", null, null, [{"name": "AGPL-3.0-only", "spdx": "AGPL-3.0-only", "text": false}])])
	r.scope.component == "vendored-lib"
	contains(r.msg, "component vendored-lib in bom.json")
}

test_an_empty_purl_does_not_scope_the_finding if {
	some r in art_004.deny with input as doc([component("vendored-lib", "2.0", "", [{"name": "SSPL-1.0", "spdx": "SSPL-1.0", "text": false}])])
	r.scope.component == "vendored-lib"
}

test_the_unlicensed_list_is_cut_after_five if {
	names := ["a", "b", "c", "d", "e", "f", "g"]
	some w in art_004.warn with input as doc([component(n, "1.0", null, []) | some n in names])
	contains(w.msg, "7 of 7 components in bom.json have no license information: a 1.0, b 1.0, c 1.0, d 1.0, e 1.0 (and 2 more)")
	count(w.evidence) == 7
}
