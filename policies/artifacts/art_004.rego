# METADATA
# title: Licenses allowed
# description: >-
#   No component in the release's SBOMs is licensed under a license the organisation does not
#   accept (`license_deny`, by default AGPL-3.0-only, AGPL-3.0-or-later and SSPL-1.0).
#   Licenses are matched by SPDX identifier, case-insensitively, also inside SPDX license
#   expressions (`MIT OR AGPL-3.0-or-later` matches: the denied license is one of the terms a
#   distributor may end up bound by). The deprecated forms count as their current identifiers:
#   `X+` as `X-or-later` (and `X`), a bare GNU identifier such as `AGPL-3.0` as
#   `AGPL-3.0-only`. Licenses given by name are resolved to SPDX ids by the SBOM parsers
#   before this check (SPDX license list names, e.g. "Server Side Public License" is
#   SSPL-1.0, and Python trove classifiers such as `License :: OSI Approved :: MIT License`);
#   a name that resolves to no SPDX license is reported as a warning (a named license text
#   beside a resolved license of the same component adds nothing to check), as are components
#   without any license information, since nobody can tell whether they may be shipped. The
#   release's own root component (the SBOM subject) is not checked: its license is the
#   organisation's choice. Without any SBOM there are no licenses to check; GC-ART-003 fails
#   the missing SBOM.
# custom:
#   id: GC-ART-004
#   severity: high
#   remediation: >-
#     Replace or remove the component, obtain a commercial license and waive the finding for
#     that component with a justification, or have legal review add the license to the
#     organisation's allowed set (the `license_deny` parameter). For unknown licenses,
#     configure the SBOM producer to record license data (e.g. package metadata) or declare
#     the license in the SBOM by SPDX id; a name gatecheck cannot resolve (an ambiguous trove
#     classifier such as "BSD License") needs the SPDX id declared instead.
#   frameworks:
#     iso27001: [A.5.32]
#     nist-800-53: [CM-10, SR-4]
#   evidence: [sbom]
#   params: [license_deny]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.art_004

import rego.v1

import data.gatecheck.lib

info := lib.control_info(rego.metadata.chain())

sboms := lib.evidence("sbom")

# Positive evidence: without an SBOM nothing shows the licenses are allowed.
deny contains result if {
	count(sboms) == 0
	result := lib.result(
		rego.metadata.chain(),
		"the bundle has no SBOM, so no component license can be checked",
		[lib.release_ref("")],
	)
}

# Positive evidence: an SBOM that lists no component shows no license allowed.
deny contains result if {
	some sbom in sboms
	no_components(sbom)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("SBOM %s lists no components, so none of their licenses can be checked", [sbom_name(sbom)]),
		[lib.ref(sbom)],
	)
}

no_components(sbom) if lib.missing(sbom, "components")

no_components(sbom) if {
	is_array(sbom.components)
	count(sbom.components) == 0
}

denied := {lower(id) | some id in lib.param("license_deny")}

operators := {"AND", "OR", "WITH"}

# License identifiers in an SPDX license expression (or a plain license id or name).
license_ids(expression) := {token |
	some token in regex.find_n(`[A-Za-z0-9.+:\-]+`, expression, -1)
	not upper(token) in operators
}

# The parsers resolve licenses to current SPDX ids ("GPL-2.0+" -> "GPL-2.0-or-later",
# "AGPL-3.0" -> "AGPL-3.0-only"), so an id is denied exactly when it is listed.
is_denied(token) if lower(token) in denied

component_key(c) := c.purl if {
	is_string(c.purl)
	c.purl != ""
} else := object.get(c, "name", "")

component_label(c) := sprintf("%s %s", [c.name, c.version]) if {
	is_string(c.name)
	is_string(c.version)
} else := sprintf("%v", [object.get(c, "name", "(unnamed)")])

sbom_name(sbom) := object.get(object.get(sbom, "source", {}), "name", "SBOM")

# A license fact: {"name": as written, "spdx": the SPDX expression it resolves to, or null,
# "text": whether the SBOM attaches the license text}.
spdx_of(license) := license.spdx if {
	is_object(license)
	is_string(license.spdx)
	license.spdx != ""
}

written(license) := object.get(license, "name", "")

shown(license) := sprintf("%q", [written(license)]) if {
	written(license) == spdx_of(license)
} else := sprintf("%q (SPDX %s)", [written(license), spdx_of(license)])

# Components by license (evidence/sbom/index.py): SBOMs repeat a handful of licenses across
# thousands of components, so each expression is tokenized once, and rule bodies run for the
# components a finding is about alone (one per component and license cost seconds at 50,000).
license_index(sbom) := sbom.license_index if {
	is_object(sbom.license_index)
} else := {
	# input gatecheck did not build (hand-written tests): the same index, made here
	"spdx": {e: [i | some i, c in components_of(sbom); some l in licenses_of(c); spdx_of(l) == e] |
		some c in components_of(sbom)
		some l in licenses_of(c)
		e := spdx_of(l)
	},
	"unresolved": sort({i | some i, c in components_of(sbom); some l in licenses_of(c); not spdx_of(l)}),
	"none": [i | some i, c in components_of(sbom); count(licenses_of(c)) == 0],
}

components_of(sbom) := object.get(sbom, "components", [])

licenses_of(c) := object.get(c, "licenses", [])

license_indexes[j] := license_index(sbom) if some j, sbom in sboms

# Denied ids per distinct SPDX expression.
denied_in[expression] := hits if {
	some index in license_indexes
	some expression, _ in index.spdx
	hits := sort([id | some id in license_ids(expression); is_denied(id)])
	count(hits) > 0
}

deny contains result if {
	some j, sbom in sboms
	some expression, positions in license_indexes[j].spdx
	hits := denied_in[expression]
	some i in positions
	c := sbom.components[i]
	some license in c.licenses
	spdx_of(license) == expression
	result := lib.scoped_result(
		rego.metadata.chain(),
		sprintf("component %s in %s is licensed %s, which includes %s from license_deny", [
			component_label(c), sbom_name(sbom), shown(license), concat(", ", hits),
		]),
		[lib.ref_at(sbom, c.pointer)],
		{"component": component_key(c)},
	)
}

warn contains result if {
	some j, sbom in sboms
	components := components_of(sbom)
	unknown := [components[i] | some i in license_indexes[j].none]
	count(unknown) > 0
	shown_components := array.slice(unknown, 0, 5)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%d of %d components in %s have no license information: %s%s", [
			count(unknown), count(components), sbom_name(sbom),
			concat(", ", [component_label(c) | some c in shown_components]),
			more_suffix(count(unknown) - count(shown_components)),
		]),
		[lib.ref_at(sbom, c.pointer) | some c in array.slice(unknown, 0, 10)],
	)
}

# A license name that resolves to no SPDX id cannot be checked against license_deny.
warn contains result if {
	some j, sbom in sboms
	components := components_of(sbom)
	unresolved := [[c, l] |
		some i in license_indexes[j].unresolved
		c := components[i]
		some l in licenses_of(c)
		unresolved_in(c, l)
	]
	count(unresolved) > 0
	first := array.slice(unresolved, 0, 5)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%d component licenses in %s name no SPDX license, so license_deny cannot be applied: %s%s", [
			count(unresolved), sbom_name(sbom),
			concat(", ", [sprintf("%s: %q", [component_label(p[0]), written(p[1])]) | some p in first]),
			more_suffix(count(unresolved) - count(first)),
		]),
		[lib.ref_at(sbom, p[0].pointer) | some p in array.slice(unresolved, 0, 10)],
	)
}

unresolved_in(c, license) if {
	not spdx_of(license)
	not supplementary_text(c, license)
}

# CycloneDX producers attach license files as named texts ("declared license file: LICENSE")
# beside the license id; such a text adds nothing to check when the component has a resolved
# license. A named text alone is an unresolved license.
supplementary_text(c, license) if {
	license.text == true
	some other in object.get(c, "licenses", [])
	spdx_of(other)
}

more_suffix(n) := sprintf(" (and %d more)", [n]) if {
	n > 0
} else := ""
