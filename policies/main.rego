# METADATA
# title: gatecheck aggregation
# description: >-
#   Collects every control package under data.gatecheck.controls into one report with the
#   enforcement that applies at the input's stage. Waivers and the final decision are applied
#   by gatecheck after evaluation.
package gatecheck.main

import rego.v1

import data.gatecheck.lib

controls[info.id] := control if {
	some name, pkg in data.gatecheck.controls
	info := pkg.info
	control := object.union(info, {
		"package": name,
		"enforcement": lib.enforcement(info),
		"violations": [r | some r in object.get(pkg, "deny", set())],
		"warnings": [r | some r in object.get(pkg, "warn", set())],
		"not_applicable": [r | some r in object.get(pkg, "not_applicable", set())],
	})
}

# A package under data.gatecheck.controls without an `info` declaration is a library bug:
# its rules would never be reported.
errors contains msg if {
	some name, pkg in data.gatecheck.controls
	not pkg.info
	msg := sprintf("control package gatecheck.controls.%s declares no info (METADATA with custom.id)", [name])
}

errors contains msg if {
	some id, control in controls
	control.enforcement != "off"
	some name in control.params
	not param_defined(name)
	msg := sprintf("%s reads parameter %q, which no data file defines", [id, name])
}

errors contains msg if {
	some id, control in controls
	not control.enforcement in {"fail", "warn", "off"}
	msg := sprintf("%s has enforcement %q at stage %s; use fail, warn or off", [id, control.enforcement, input.stage])
}

errors contains msg if {
	some id, control in controls
	some r in array.concat(control.violations, control.warnings)
	r.control != id
	msg := sprintf("%s reported a result for %s; results must come from the control's own package", [id, r.control])
}

param_defined(name) if {
	_ := lib.param(name)
}

default auto_approval_eligible := false

auto_approval_eligible if data.gatecheck.controls.chg_001.auto_approval_eligible == true

report := {
	"controls": [c | some c in controls],
	"errors": [e | some e in errors],
	"auto_approval_eligible": auto_approval_eligible,
}
