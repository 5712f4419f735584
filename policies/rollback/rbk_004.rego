# METADATA
# title: Pre-deployment state preserved
# description: >-
#   Before deploying, the configuration and the data were snapshotted so a rollback can
#   restore them: the release manifest's `snapshots`, or a state snapshot record for this
#   release, names a configuration snapshot id and a data snapshot id, and says when they
#   were taken: a snapshot taken after the effective time, or at no recorded time, cannot be
#   shown to hold the state before the deployment.
# custom:
#   id: GC-RBK-004
#   severity: medium
#   remediation: >-
#     Take configuration and database snapshots before the deployment and record their ids in
#     the release manifest (`snapshots`) or a `StateSnapshot` record.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.13, A.8.32]
#     nist-800-53: [CM-2, CM-3, CP-9]
#   evidence: [release-manifest, state-snapshot]
#   params: []
#   stages:
#     production: warn
#     staging: warn
#     dev: warn
package gatecheck.controls.rbk_004

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

records := [s | some s in lib.evidence("state_snapshot"); lc.for_this_release(s)]

ids(key) := {id | id := lc.get(lc.get(lc.release, "snapshots", {}), key, null); lc.present(id)} | {id |
	some s in records
	id := s[key]
	lc.present(id)
}

what := {"config_snapshot_id": "configuration", "data_snapshot_id": "data"}

deny contains result if {
	some key, name in what
	count(ids(key)) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no %s snapshot id is recorded before the deployment", [name]),
		array.concat([lib.release_ref(sprintf("/snapshots/%s", [key]))], [lc.field_ref(s, sprintf("/%s", [key])) | some s in records]),
	)
}

# When the snapshots naming ids were taken (manifest's, then records'), by source.
manifest_snapshots := lc.get(lc.release, "snapshots", {})

manifest_names_ids if {
	some key, _ in what
	lc.present(lc.get(manifest_snapshots, key, null))
}

manifest_taken := [[lc.get(manifest_snapshots, "taken_at", null), lib.release_ref("/snapshots/taken_at")] | manifest_names_ids]

taken := array.concat(manifest_taken, [[lc.get(s, "taken_at", null), lc.field_ref(s, "/taken_at")] | some s in records])

deny contains result if {
	count(taken) > 0
	count([t | some [t, _] in taken; is_string(t)]) == 0
	result := lib.result(
		rego.metadata.chain(),
		"the snapshots record no time (taken_at), so they cannot be shown to precede the deployment",
		[ref | some [_, ref] in taken],
	)
}

deny contains result if {
	some [t, ref] in taken
	is_string(t)
	lc.ns(t) > input.effective_time_ns
	result := lib.result(
		rego.metadata.chain(),
		sprintf("a snapshot was taken at %s, after the effective time %s", [t, input.effective_time]),
		[ref],
	)
}
