# METADATA
# title: gatecheck lifecycle helpers
# description: >-
#   What the environment, pipeline, testing, verification and rollback controls share: the
#   release's class, service and target environment, records bound to this release, the
#   newest record of a kind, and evidence references into a record's fields. Controls that
#   call target_environment list `stage_environments` in their own METADATA params.
package gatecheck.lifecycle

import rego.v1

import data.gatecheck.lib

release := object.get(input, "release", {})

# The value of key in obj, or default when the key is absent or null (lib.value_or).
get(obj, key, default_value) := lib.value_or(obj, key, default_value)

# Re-exported from lib (one definition, in lib/controls.rego), so controls keep calling it here.
blank(value) if lib.blank(value)

present(value) if not blank(value)

major if get(release, "class", null) == "major"

release_class := get(release, "class", "unclassified")

deployment := get(release, "deployment", {})

strategy := get(deployment, "strategy", null)

# The service a release deploys: the manifest's service name, else the release name.
service_name := name if {
	name := get(get(release, "service", {}), "name", null)
	present(name)
} else := release.name

# The environment this evaluation is about: the deployment's, else the stage's environment.
target_environment := env if {
	env := get(deployment, "environment", null)
	present(env)
} else := env if {
	env := lib.param("stage_environments")[input.stage]
} else := input.stage

# A record that names no release applies to whichever release carries it; one that names a
# release must name this one.
for_this_release(item) if get(item, "release", null) == null

for_this_release(item) if {
	ref := get(item, "release", null)
	ref != null
	ref.name == release.name
	ref.version == release.version
}

# Undefined for a time not given: null is what the parsers write for an absent field, and a
# comparison with it must fail like one with a missing key, not raise a type error.
ns(timestamp) := time.parse_rfc3339_ns(timestamp) if is_string(timestamp)

# Items whose `key` time is the latest among items (those without the time are ignored).
newest(items, key) := [item |
	some item in items
	is_string(object.get(item, key, null))
	ns(item[key]) == latest
] if {
	times := [ns(item[key]) | some item in items; is_string(object.get(item, key, null))]
	count(times) > 0
	latest := max(times)
} else := []

# Whole days between a time and the effective time (rounded down).
age_days(timestamp) := floor(lib.age_ns(timestamp) / lib.day_ns)

# Re-exported from lib (one definition, in lib/controls.rego).
field_ref(item, suffix) := lib.field_ref(item, suffix)

plural(n, word) := sprintf("%d %s", [n, word]) if n == 1

else := sprintf("%d %ss", [n, word])

# -- environment snapshots -------------------------------------------------------------------

# When a snapshot describes its environment: its capture time, else the creation time.
snapshot_time(s) := s.captured_at if {
	is_string(object.get(s, "captured_at", null))
} else := s.created_at if {
	is_string(object.get(s, "created_at", null))
}

# The newest snapshots of an environment (several when they share the newest time); when no
# snapshot of it has a time, all of them.
current_snapshots(env) := list if {
	of_env := [s | some s in lib.evidence("environment_snapshot"); s.environment == env]
	stamps := [ns(t) | some s in of_env; t := snapshot_time(s)]
	count(stamps) > 0
	latest := max(stamps)
	list := [s | some s in of_env; t := snapshot_time(s); ns(t) == latest]
} else := [s | some s in lib.evidence("environment_snapshot"); s.environment == env]
