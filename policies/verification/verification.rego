# METADATA
# title: gatecheck post-deployment verification helpers
# description: >-
#   The deployment metrics GC-VER-001 and GC-VER-002 judge: those for this release (or
#   naming no release) of the release's service (or naming no service).
package gatecheck.verification

import rego.v1

import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

metrics := [m |
	some m in lib.evidence("deployment_metrics")
	lc.for_this_release(m)
	service_matches(m)
]

service_matches(m) if lc.blank(object.get(m, "service", null))

service_matches(m) if m.service == lc.service_name

rollback := lc.get(lc.release, "rollback", {})

criterion(key) := value if {
	value := lc.get(rollback, key, null)
	is_number(value)
}

window(m) := sprintf("%s..%s", [m.window.start, m.window.end])

missing_metrics_msg := sprintf("no deployment metrics for service %s of release %s %s", [lc.service_name, lc.release.name, lc.release.version])

other_metrics_refs := [lib.ref(m) | some m in lib.evidence("deployment_metrics")]
