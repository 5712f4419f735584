"""Evidence bundles: a manifest plus content-addressed evidence files, sealed by a digest."""
