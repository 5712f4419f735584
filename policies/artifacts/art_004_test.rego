package gatecheck.controls.art_004_test

import rego.v1

import data.gatecheck.controls.art_004

import data.gatecheck.test_facts as facts

component(name, licenses) := {
	"name": name, "version": "1.0.0", "purl": sprintf("pkg:npm/%s@1.0.0", [name]), "type": "library",
	"licenses": licenses, "hashes": {}, "pointer": sprintf("/components/%s", [name]),
}

sbom(components) := {
	"spec": "cyclonedx", "spec_version": "1.6", "valid": true, "errors": [],
	"subject": {"name": "payments-api", "version": "1.4.0", "purl": null, "digests": {}, "pointer": "/metadata/component"},
	"subjects": [],
	"components": components, "component_count": count(components),
	"timestamp": "2026-01-20T08:00:00Z", "tools": [],
	"source": {
		"path": "evidence/sbom/bom.json", "name": "bom.json", "format": "cyclonedx-json",
		"sha256": "0000000000000000000000000000000000000000000000000000000000000000",
		"added_at": "2026-01-30T00:00:00Z",
	},
}

with_sboms(stage, sboms) := {
	"stage": stage,
	"effective_time_ns": time.parse_rfc3339_ns("2026-01-31T12:00:00Z"),
	"release": object.union(facts.empty.release, {"name": "payments", "version": "1.4.0", "source": {"path": "evidence/release.json"}}),
	"evidence": {"sbom": sboms},
}

prod(components) := with_sboms("production", [sbom(components)])

# A license fact as the SBOM parsers write it: the string as written and the SPDX expression it
# resolves to (null when it resolves to nothing). tests/test_sbom_licenses.py checks every
# lic(...) pair in this file against the parsers' resolver, so no fixture here is one the
# parsers cannot produce.
lic(name, spdx) := {"name": name, "spdx": spdx, "text": false}

# A license given by an attached text under a label (cyclonedx-py's "declared license file: X").
text_lic(label) := {"name": label, "spdx": null, "text": true}

denied_for(license) := denies if {
	denies := art_004.deny with input as prod([component("x", [license])])
}

test_permissive_licenses_pass if {
	input_doc := prod([component("a", [lic("MIT", "MIT")]), component("b", [lic("Apache-2.0 OR BSD-3-Clause", "Apache-2.0 OR BSD-3-Clause")])])
	count(art_004.deny) == 0 with input as input_doc
	count(art_004.warn) == 0 with input as input_doc
}

test_denied_license_fails_scoped_to_the_component if {
	some r in art_004.deny with input as prod([component("mongo-thing", [lic("SSPL-1.0", "SSPL-1.0")])])
	contains(r.msg, "component mongo-thing 1.0.0 in bom.json is licensed \"SSPL-1.0\", which includes SSPL-1.0 from license_deny")
	r.scope.component == "pkg:npm/mongo-thing@1.0.0"
	r.evidence[0] == {"path": "evidence/sbom/bom.json", "pointer": "/components/mongo-thing"}
}

test_denied_license_inside_an_expression_fails if {
	count(denied_for(lic("MIT OR AGPL-3.0-or-later", "MIT OR AGPL-3.0-or-later"))) == 1
	count(denied_for(lic("(Apache-2.0 AND SSPL-1.0)", "Apache-2.0 AND SSPL-1.0"))) == 1
}

test_license_ids_match_case_insensitively if {
	count(denied_for(lic("agpl-3.0-only", "AGPL-3.0-only"))) == 1
}

test_deprecated_forms_match_their_current_ids if {
	count(denied_for(lic("AGPL-3.0+", "AGPL-3.0-or-later"))) == 1
	count(denied_for(lic("AGPL-3.0", "AGPL-3.0-only"))) == 1
}

test_similar_licenses_do_not_match if {
	count(denied_for(lic("LGPL-3.0-only", "LGPL-3.0-only"))) == 0
	count(denied_for(lic("GPL-3.0-only WITH Classpath-exception-2.0", "GPL-3.0-only WITH Classpath-exception-2.0"))) == 0
	count(denied_for(lic("AGPL-1.0-only", "AGPL-1.0-only"))) == 0
}

test_deny_list_comes_from_the_parameter if {
	count(denied_for(lic("GPL-3.0-only", "GPL-3.0-only"))) == 1 with data.gatecheck.config.params.license_deny as ["GPL-3.0-only"]
	count(denied_for(lic("SSPL-1.0", "SSPL-1.0"))) == 0 with data.gatecheck.config.params.license_deny as ["GPL-3.0-only"]
}

test_component_without_license_warns if {
	input_doc := prod([component("a", [lic("MIT", "MIT")]), component("mystery", []), component("enigma", [])])
	count(art_004.deny) == 0 with input as input_doc
	some w in art_004.warn with input as input_doc
	contains(w.msg, "2 of 3 components in bom.json have no license information: mystery 1.0.0, enigma 1.0.0")
	count(w.evidence) == 2
}

test_every_sbom_is_checked if {
	denies := art_004.deny with input as with_sboms("production", [sbom([component("a", [lic("MIT", "MIT")])]), sbom([component("b", [lic("SSPL-1.0", "SSPL-1.0")])])])
	count(denies) == 1
}

test_no_sbom_fails if {
	some r in art_004.deny with input as with_sboms("production", [])
	contains(r.msg, "no SBOM")
}

test_license_name_resolved_to_a_denied_id_fails if {
	some r in art_004.deny with input as prod([component("mongo-like", [lic("Server Side Public License", "SSPL-1.0")])])
	contains(r.msg, "is licensed \"Server Side Public License\" (SPDX SSPL-1.0), which includes SSPL-1.0 from license_deny")
}

test_trove_classifier_resolved_to_an_allowed_id_passes if {
	input_doc := prod([component("a", [lic("License :: OSI Approved :: MIT License", "MIT")])])
	count(art_004.deny) == 0 with input as input_doc
	count(art_004.warn) == 0 with input as input_doc
}

test_trove_classifier_resolved_to_a_denied_id_fails if {
	count(denied_for(lic("License :: OSI Approved :: GNU Affero General Public License v3", "AGPL-3.0-only"))) == 1
}

test_unresolvable_license_name_warns_and_never_passes_silently if {
	input_doc := prod([component("a", [lic("License :: OSI Approved :: BSD License", null)]), component("b", [lic("Some In-House Terms", null)])])
	count(art_004.deny) == 0 with input as input_doc
	some w in art_004.warn with input as input_doc
	contains(w.msg, "2 component licenses in bom.json name no SPDX license, so license_deny cannot be applied")
	contains(w.msg, "a 1.0.0: \"License :: OSI Approved :: BSD License\"")
	count(w.evidence) == 2
}

test_unresolved_name_beside_a_denied_id_still_fails if {
	input_doc := prod([component("a", [lic("Some In-House Terms", null), lic("SSPL-1.0", "SSPL-1.0")])])
	count(art_004.deny) == 1 with input as input_doc
	count(art_004.warn) == 1 with input as input_doc
}

test_license_file_beside_a_resolved_license_does_not_warn if {
	input_doc := prod([component("boolean.py", [lic("BSD-2-Clause", "BSD-2-Clause"), text_lic("declared license file: LICENSE.txt")])])
	count(art_004.warn) == 0 with input as input_doc
}

test_license_text_alone_warns if {
	input_doc := prod([component("chardet", [text_lic("declared license of 'chardet'")])])
	some w in art_004.warn with input as input_doc
	contains(w.msg, "1 component licenses in bom.json name no SPDX license")
}

test_sbom_without_components_fails if {
	some r in art_004.deny with input as prod([])
	contains(r.msg, "lists no components")
}

# No parser writes an SBOM without a components list; the guard still reads it as none.
test_sbom_with_null_components_has_none if {
	art_004.no_components(object.union(sbom([]), {"components": null}))
}
