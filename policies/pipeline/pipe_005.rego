# METADATA
# title: No concurrent deployment to the target environment
# description: >-
#   At the effective time this release's pipeline run (the run id of an audit log naming this
#   release) holds a deployment lock on the target environment, and no lock held by another
#   run overlaps it. A lock without a holder run or an acquisition time proves nothing and
#   fails; a lock without an expiry or release is held until further notice.
# custom:
#   id: GC-PIPE-005
#   severity: high
#   remediation: >-
#     Take the environment's deployment lock from the pipeline run before deploying (e.g. a
#     CI concurrency group or a lock service), export the environment's locks as
#     `DeploymentLock` records, and make sure no other deployment holds the environment.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32]
#     nist-800-53: [CM-3, CM-5]
#   evidence: [deployment-lock, pipeline-audit-log]
#   params: [deployment_actions, stage_environments]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.pipe_005

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc
import data.gatecheck.operations as ops

info := lib.control_info(rego.metadata.chain())

env := lc.target_environment

locks := [l | some l in lib.evidence("deployment_lock"); l.environment == env]

holder_run(lock) := run if {
	run := lc.get(lc.get(lock, "holder", {}), "run_id", null)
	is_string(run)
	lc.present(run)
}

holder_release_ok(lock) if lc.for_this_release(lc.get(lock, "holder", {}))

start_ns(lock) := lc.ns(lock.acquired_at) if is_string(lc.get(lock, "acquired_at", null))

# When the lock stops: its release, else its expiry; no end is an open-ended lock.
end_ns(lock) := lc.ns(lock.released_at) if {
	is_string(lc.get(lock, "released_at", null))
} else := lc.ns(lock.expires_at) if {
	is_string(lc.get(lock, "expires_at", null))
} else := 9223372036854775807

ours(lock) if holder_run(lock) in ops.run_ids

held := [l |
	some l in locks
	ours(l)
	holder_release_ok(l)
	start_ns(l) <= input.effective_time_ns
	input.effective_time_ns < end_ns(l)
]

deny contains result if {
	count(held) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no deployment lock on %s is held at the effective time by this release's pipeline run (%s)", [env, runs_text]),
		[lib.ref(l) | some l in lib.evidence("deployment_lock")],
	)
}

runs_text := concat(", ", sort(ops.run_ids)) if {
	count(ops.run_ids) > 0
} else := "no audit log names this release's run"

deny contains result if {
	some other in locks
	not ours(other)
	some mine in held
	overlaps(other, mine)
	result := lib.result(
		rego.metadata.chain(),
		sprintf("a lock on %s held by run %s (%s..%s) overlaps this release's lock (run %s from %s)", [env, describe(holder_run(other)), describe(lc.get(other, "acquired_at", null)), describe(lc.get(other, "released_at", lc.get(other, "expires_at", null))), mine.holder.run_id, mine.acquired_at]),
		[lib.ref(other), lib.ref(mine)],
	)
}

deny contains result if {
	some other in locks
	not ours(other)
	not start_ns(other)
	count(held) > 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("a lock on %s held by run %s has no acquired_at: whether it overlaps this release's lock cannot be told", [env, describe(holder_run(other))]),
		[lib.ref(other)],
	)
}

overlaps(a, b) if {
	start_ns(a) < end_ns(b)
	start_ns(b) < end_ns(a)
}

describe(value) := value if is_string(value)

else := "(unnamed)"
