"""Signatures and attestations: DSSE, keys, Sigstore bundles, SLSA provenance."""
