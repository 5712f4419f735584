package gatecheck.main_test

import rego.v1

import data.gatecheck.main

# Each control's declaration: an id matching its package name, a known severity, and a
# known enforcement at every stage it names.
declarations[name] := info if {
	some name
	info := data.gatecheck.controls[name].info
}

test_every_control_declares_an_id_matching_its_package if {
	count(declarations) > 40
	every name, info in declarations {
		info.id == concat("", ["GC-", upper(replace(name, "_", "-"))])
		info.severity in {"critical", "high", "medium", "low"}
		every _, level in info.stages {
			level in {"fail", "warn", "off"}
		}
	}
}

stub_info(id, params) := {
	"id": id, "title": "stub", "description": "", "severity": "high", "remediation": "",
	"frameworks": {}, "stages": {"production": "fail"}, "evidence_types": [], "params": params,
}

finding(id) := {"control": id, "msg": "m", "evidence": [], "scope": {}}

prod := {"stage": "production", "release": {}, "evidence": {}}

test_report_carries_each_control_with_its_enforcement_and_results if {
	controls := {
		"rel_001": {"info": stub_info("GC-REL-001", []), "deny": {finding("GC-REL-001")}},
		"rel_002": {"info": stub_info("GC-REL-002", []), "warn": {finding("GC-REL-002")}, "not_applicable": {"why"}},
	}
	report := main.report with input as prod with data.gatecheck.controls as controls
	report.errors == []
	report.auto_approval_eligible == false
	some c in report.controls
	c.id == "GC-REL-001"
	c.package == "rel_001"
	c.enforcement == "fail"
	c.violations == [finding("GC-REL-001")]
	c.warnings == []
	some d in report.controls
	d.id == "GC-REL-002"
	d.warnings == [finding("GC-REL-002")]
	d.not_applicable == ["why"]
}

test_stage_override_wins_over_the_declared_default if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", [])}}
	report := main.report with input as prod
		with data.gatecheck.controls as controls
		with data.gatecheck.config.stages.production.enforce as {"GC-REL-001": "warn"}
	report.controls[0].enforcement == "warn"
}

test_a_stage_the_declaration_does_not_name_is_off if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", [])}}
	report := main.report with input as {"stage": "dev", "release": {}, "evidence": {}}
		with data.gatecheck.controls as controls
	report.controls[0].enforcement == "off"
}

test_a_package_without_info_is_an_evaluation_error if {
	report := main.report with input as prod with data.gatecheck.controls as {"rel_009": {"deny": set()}}
	report.errors == ["control package gatecheck.controls.rel_009 declares no info (METADATA with custom.id)"]
}

test_a_parameter_no_data_file_defines_is_an_evaluation_error if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", ["no_such_threshold"])}}
	report := main.report with input as prod with data.gatecheck.controls as controls
	report.errors == [`GC-REL-001 reads parameter "no_such_threshold", which no data file defines`]
}

test_a_defined_parameter_is_no_error if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", ["release_classes"])}}
	report := main.report with input as prod with data.gatecheck.controls as controls
	report.errors == []
}

test_an_unknown_enforcement_is_an_evaluation_error if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", [])}}
	report := main.report with input as prod
		with data.gatecheck.controls as controls
		with data.gatecheck.config.stages.production.enforce as {"GC-REL-001": "block"}
	report.errors == [`GC-REL-001 has enforcement "block" at stage production; use fail, warn or off`]
}

test_a_result_for_another_control_is_an_evaluation_error if {
	controls := {"rel_001": {"info": stub_info("GC-REL-001", []), "warn": {finding("GC-CHG-001")}}}
	report := main.report with input as prod with data.gatecheck.controls as controls
	report.errors == ["GC-REL-001 reported a result for GC-CHG-001; results must come from the control's own package"]
}

test_auto_approval_eligibility_comes_from_gc_chg_001 if {
	eligible := {"chg_001": {"info": stub_info("GC-CHG-001", []), "auto_approval_eligible": true}}
	main.report.auto_approval_eligible with input as prod with data.gatecheck.controls as eligible
	claimed := {"chg_001": {"info": stub_info("GC-CHG-001", []), "auto_approval_eligible": "yes"}}
	not main.report.auto_approval_eligible with input as prod with data.gatecheck.controls as claimed
}
