# METADATA
# title: gatecheck operations helpers
# description: >-
#   What the deployment-lock, change-link and stabilization controls share: the pipeline audit
#   logs of this release (a log counts only when it names this release), their run ids, and
#   their deployment events (actions in `deployment_actions`, or `ACTION.<anything>`). Controls
#   that call these helpers list `deployment_actions` in their own METADATA params.
package gatecheck.operations

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

# Logs that name this release: a log naming no release proves nothing about this one.
release_logs := [l |
	some l in lib.evidence("pipeline_audit_log")
	ref := lc.get(l, "release", null)
	is_object(ref)
	ref.name == lc.release.name
	ref.version == lc.release.version
]

run_ids := {l.run_id | some l in release_logs; is_string(lc.get(l, "run_id", null)); lc.present(l.run_id)}

deployment_action(action) if action in lib.param("deployment_actions")

deployment_action(action) if {
	some prefix in lib.param("deployment_actions")
	startswith(action, concat("", [prefix, "."]))
}

# Deployment events of this release's pipeline, dated no later than the effective time.
deployment_events := [{"log": l, "event": e} |
	some l in release_logs
	some e in l.events
	is_string(lc.get(e, "action", null))
	deployment_action(e.action)
	is_string(lc.get(e, "time", null))
	lc.ns(e.time) <= input.effective_time_ns
]
