"""SBOMs: CycloneDX, SPDX, and the package keys shared with scanners."""
