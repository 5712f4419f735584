# METADATA
# title: gatecheck artifact test fixtures
# description: >-
#   What gatecheck adds around the facts of an SBOM, scan, SARIF log or signature (the
#   entry's `source`), shared by the artifact control tests.
package gatecheck.artifacts.fixtures

import rego.v1

sha256_zero := "0000000000000000000000000000000000000000000000000000000000000000"

# The `source` of an evidence file added as `path` (engine/inputdoc.py writes all five keys).
source(path, format) := {
	"path": path,
	"name": basename(path),
	"format": format,
	"sha256": sha256_zero,
	"added_at": "2026-01-30T00:00:00Z",
}

basename(path) := name if {
	parts := split(path, "/")
	name := parts[count(parts) - 1]
}

# The `source` of an evidence file added as `path` under another name.
named_source(path, name, format) := object.union(source(path, format), {"name": name})

# A SARIF log's execution_successful from its runs': false if one failed, true if every run
# says it succeeded, else null.
sarif_execution(states) := false if {
	false in states
} else if {
	count(states) > 0
	every state in states {
		state == true
	}
} else := null
