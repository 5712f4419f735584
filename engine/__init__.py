"""Evaluation: OPA backends, policy loading, the input document, waivers, decision and report."""
