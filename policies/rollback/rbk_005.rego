# METADATA
# title: Rollbacks communicated and root-caused
# description: >-
#   The service's rollback history covers the last `rca_lookback_days` (its period starts no
#   later and ends within `rollback_history_max_age_hours` before the effective time), and
#   every rollback in that window has an incident notification reference and, once
#   `rca_due_days` have passed, a root-cause record completed within them that names the
#   checklists or controls it changed. Without a history covering the window, no rollback can
#   be shown to be absent, so the control fails.
# custom:
#   id: GC-RBK-005
#   severity: medium
#   remediation: >-
#     Export the service's rollback history from the deployment system (`kind:
#     RollbackHistory`, with its `period`); for each rollback, link the incident notification
#     and complete the root-cause analysis within the due days, listing the checklists or
#     controls it changed.
#   frameworks:
#     soc2: [CC7.4, CC7.5, CC8.1]
#     iso27001: [A.5.26, A.5.27, A.8.32]
#     nist-800-53: [IR-4, IR-6, CM-3]
#   evidence: [rollback-history, release-manifest]
#   params: [rca_lookback_days, rca_due_days, rollback_history_max_age_hours]
#   stages:
#     production: fail
#     staging: warn
#     dev: warn
package gatecheck.controls.rbk_005

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

info := lib.control_info(rego.metadata.chain())

histories := [h | some h in lib.evidence("rollback_history"); h.service == lc.service_name]

window_start_ns := input.effective_time_ns - (lib.param("rca_lookback_days") * lib.day_ns)

covers(h) if {
	period := lc.get(h, "period", {})
	lc.ns(period.start) <= window_start_ns
	end := lc.ns(period.end)
	end <= input.effective_time_ns
	input.effective_time_ns - end <= lib.param("rollback_history_max_age_hours") * lib.hour_ns
}

deny contains result if {
	count([h | some h in histories; covers(h)]) == 0
	result := lib.result(
		rego.metadata.chain(),
		sprintf("no rollback history of service %s covers the last %d days up to %d hours before the effective time", [lc.service_name, lib.param("rca_lookback_days"), lib.param("rollback_history_max_age_hours")]),
		[lib.ref(h) | some h in lib.evidence("rollback_history")],
	)
}

rollbacks contains [h, i, rb] if {
	some h in histories
	some i, rb in lc.get(h, "rollbacks", [])
}

label(rb) := sprintf("the rollback of %s", [rb.version]) if is_string(lc.get(rb, "version", null))

else := "a rollback"

# What is wrong with each rollback of the service: [history, index, message].
issues contains [h, i, "it gives no rolled_back_at time"] if {
	some [h, i, rb] in rollbacks
	not is_string(lc.get(rb, "rolled_back_at", null))
}

issues contains [h, i, sprintf("it is dated %s, after the effective time", [rb.rolled_back_at])] if {
	some [h, i, rb] in rollbacks
	lc.ns(rb.rolled_back_at) > input.effective_time_ns
}

issues contains [h, i, "it has no incident notification reference"] if {
	some [h, i, rb] in rollbacks
	recent(rb)
	not lc.present(lc.get(lc.get(rb, "incident_notification", {}), "reference", null))
}

issues contains [h, i, sprintf("it has no completed root-cause record, due within %d days (by %s)", [lib.param("rca_due_days"), time.format(due_ns(rb))])] if {
	some [h, i, rb] in rollbacks
	recent(rb)
	due_ns(rb) < input.effective_time_ns
	not completed(rb)
}

issues contains [h, i, sprintf("its root cause was completed at %s, after it was due (%s)", [rb.root_cause.completed_at, time.format(due_ns(rb))])] if {
	some [h, i, rb] in rollbacks
	recent(rb)
	completed(rb)
	lc.ns(rb.root_cause.completed_at) > due_ns(rb)
}

issues contains [h, i, sprintf("its root cause was completed at %s, after the effective time", [rb.root_cause.completed_at])] if {
	some [h, i, rb] in rollbacks
	recent(rb)
	completed(rb)
	lc.ns(rb.root_cause.completed_at) > input.effective_time_ns
}

issues contains [h, i, "its root-cause record names no checklist or control it changed"] if {
	some [h, i, rb] in rollbacks
	recent(rb)
	completed(rb)
	count(lc.get(rb.root_cause, "changed", [])) == 0
}

recent(rb) if lc.ns(rb.rolled_back_at) >= window_start_ns

due_ns(rb) := lc.ns(rb.rolled_back_at) + (lib.param("rca_due_days") * lib.day_ns)

completed(rb) if {
	rca := lc.get(rb, "root_cause", {})
	lc.present(lc.get(rca, "reference", null))
	is_string(lc.get(rca, "completed_at", null))
}

deny contains result if {
	some [h, i, msg] in issues
	rb := h.rollbacks[i]
	result := lib.result(
		rego.metadata.chain(),
		sprintf("%s of service %s: %s", [label(rb), lc.service_name, msg]),
		[lc.field_ref(h, sprintf("/rollbacks/%d", [i]))],
	)
}
