# METADATA
# title: Environment parity
# description: >-
#   Staging and production run the same runtime, base image and infrastructure-code module
#   versions (`parity_keys`), so what was tested in staging is what production runs. The
#   newest snapshot of each environment in `parity_environments` is compared with the first
#   one's; a key that no snapshot records cannot be compared and is reported too.
# custom:
#   id: GC-ENV-002
#   severity: medium
#   remediation: >-
#     Align the differing versions (promote the staging runtime, image and modules to
#     production or the reverse) and add fresh environment snapshots of both environments.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.31, A.8.32]
#     nist-800-53: [CM-2, CM-3, CM-4]
#   evidence: [environment-snapshot]
#   params: [parity_environments, parity_keys]
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.env_002

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

snapshots := lib.evidence("environment_snapshot")

environments := lib.param("parity_environments")

current(env) := lc.current_snapshots(env)

not_applicable contains "fewer than two environments are listed in parity_environments, so there is nothing to compare" if {
	count(environments) < 2
}

deny contains result if {
	count(environments) >= 2
	some env in environments
	count(current(env)) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no environment snapshot of %s, so its parity with %v cannot be checked", [env, environments]),
		[lib.ref(s) | some s in snapshots],
	)
}

deny contains result if {
	reference := environments[0]
	some env in array.slice(environments, 1, count(environments))
	some ref_snapshot in current(reference)
	some other in current(env)
	some key in lib.param("parity_keys")
	some [path, a, b] in differences(object.get(ref_snapshot.parity, key, null), object.get(other.parity, key, null), key)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s differs between %s (%v) and %s (%v)", [concat(".", path), reference, a, env, b]),
		[
			lc.field_ref(ref_snapshot, concat("/", array.concat(["", "parity"], path))),
			lc.field_ref(other, concat("/", array.concat(["", "parity"], path))),
		],
	)
}

# Differences between two recorded values as [path, a, b]: per entry for maps of versions
# (iac_modules), else the values themselves. Unrecorded values are reported separately.
differences(a, b, key) := [[[key], a, b]] if {
	a != null
	b != null
	not is_object(a)
	a != b
}

differences(a, b, key) := [[[key], a, b]] if {
	is_object(a)
	b != null
	not is_object(b)
}

differences(a, b, key) := [[[key, name], va, vb] |
	some name in (object.keys(a) | object.keys(b))
	va := object.get(a, name, null)
	vb := object.get(b, name, null)
	va != vb
] if {
	is_object(a)
	is_object(b)
}

deny contains result if {
	reference := environments[0]
	some env in array.slice(environments, 1, count(environments))
	some ref_snapshot in current(reference)
	some other in current(env)
	some key in lib.param("parity_keys")
	missing := [name |
		some [name, s] in [[reference, ref_snapshot], [env, other]]
		object.get(s.parity, key, null) == null
	]
	count(missing) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the snapshot of %s does not record %s, so parity cannot be checked", [concat(" and ", missing), key]),
		[lc.field_ref(ref_snapshot, "/parity"), lc.field_ref(other, "/parity")],
	)
}
