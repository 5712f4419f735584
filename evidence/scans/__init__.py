"""Scan results: vulnerability scanners (pip-audit, OSV-Scanner, Grype, Trivy) and SARIF."""
