# METADATA
# title: Environment provisioned from infrastructure as code
# description: >-
#   The target environment was applied from infrastructure code pinned to a repository and a
#   full commit id, and its last drift check found no change made outside that code. An
#   environment with unknown drift is reported too: nobody can say it matches its code.
# custom:
#   id: GC-ENV-003
#   severity: medium
#   remediation: >-
#     Provision the environment from its IaC repository, record `iac.repo` and the full
#     `iac.commit` in the environment snapshot, run a drift check (e.g. `terraform plan
#     -detailed-exitcode`) and reconcile any drift through the code.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.9, A.8.32]
#     nist-800-53: [CM-2, CM-3, CM-6]
#   evidence: [environment-snapshot, release-manifest]
#   params: [stage_environments]
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.env_003

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

env := lc.target_environment

snapshots := lc.current_snapshots(env)

deny contains result if {
	count(snapshots) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no environment snapshot of the target environment %s, so its IaC source and drift are unknown", [env]),
		[lib.ref(s) | some s in lib.evidence("environment_snapshot")],
	)
}

deny contains result if {
	some s in snapshots
	iac := lc.get(s, "iac", {})
	missing := [f | some f in ["repo", "commit"]; lc.blank(lc.get(iac, f, null))]
	count(missing) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("environment %s records no IaC source %s", [env, concat(" and ", missing)]),
		[lc.field_ref(s, "/iac")],
	)
}

deny contains result if {
	some s in snapshots
	commit := s.iac.commit
	lc.present(commit)
	not regex.match(`^([0-9a-f]{40}|[0-9a-f]{64})$`, lower(commit))
	result := lib.result(
		rego.metadata.chain(),
		sprintf("environment %s names IaC commit %q, which is not a full commit id (a branch or tag can move)", [env, commit]),
		[lc.field_ref(s, "/iac/commit")],
	)
}

deny contains result if {
	some s in snapshots
	s.drift_detected == true
	result := lib.result(
		rego.metadata.chain(),
		sprintf("drift detected in environment %s: it no longer matches its infrastructure code", [env]),
		[lc.field_ref(s, "/drift_detected")],
	)
}

deny contains result if {
	some s in snapshots
	s.drift_detected == null
	result := lib.result(
		rego.metadata.chain(),
		sprintf("the snapshot of environment %s does not say whether drift was checked", [env]),
		[lc.field_ref(s, "/drift_detected")],
	)
}
