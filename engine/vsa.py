"""A SLSA Verification Summary Attestation (VSA) v1 for a gate decision.

https://slsa.dev/spec/v1.0/verification_summary: an in-toto Statement v1 with predicate type
``https://slsa.dev/verification_summary/v1`` whose subjects are the release artifacts. It lets
a consumer trust "gatecheck let this artifact through stage X under policy set P" without the
evidence bundle. Mapping:

- ``verifier.id`` ``https://gatecheck.dev/verifier``, ``verifier.version`` gatecheck and OPA;
- ``timeVerified`` the report's creation time; ``resourceUri`` ``pkg:generic/<name>@<version>``;
- ``policy`` the policy set digest (``uri`` names the stage's gate);
- ``inputAttestations`` the bundle manifest and every evidence file, by digest;
- ``verificationResult`` PASSED only for decision ``pass``; ``verifiedLevels`` then
  ``GATECHECK_GATE_<STAGE>`` (an organization-specific level, as the spec allows), else
  ``FAILED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gatecheck.engine.attestation import STATEMENT_TYPE, split_digest, subjects_for
from gatecheck.errors import ReportError

VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
VERIFIER_ID = "https://gatecheck.dev/verifier"


def _digest_set(value: Any) -> dict[str, str] | None:
    parsed = split_digest(value)
    return {parsed[0]: parsed[1]} if parsed else None


def build_vsa(report: Mapping[str, Any]) -> dict[str, Any]:
    """The VSA statement for ``report``; ReportError when it names no artifact digest."""
    subjects = [s for s in subjects_for(report) if s["name"] != "bundle-manifest"]
    if not subjects:
        raise ReportError(
            "a verification summary needs at least one release artifact with a digest; "
            "the report names none"
        )
    release = report.get("release") or {}
    stage = str(report.get("stage") or "")
    passed = report.get("decision") == "pass"
    engine = report.get("engine") or {}
    version = {"gatecheck": str(report.get("gatecheck_version") or "")}
    if engine.get("opa_version"):
        version["opa"] = str(engine["opa_version"])
    inputs = []
    bundle_digest = _digest_set(report.get("bundle_digest"))
    if bundle_digest:
        inputs.append({"uri": "manifest.json", "digest": bundle_digest})
    bundle = report.get("bundle") or {}
    for entry in bundle.get("evidence") or []:
        if isinstance(entry, Mapping) and entry.get("path") and entry.get("sha256"):
            inputs.append({"uri": str(entry["path"]), "digest": {"sha256": str(entry["sha256"])}})
    policy: dict[str, Any] = {"uri": f"https://gatecheck.dev/gate/{quote(stage)}"}
    policy_digest = _digest_set(report.get("policy_digest"))
    if policy_digest:
        policy["digest"] = policy_digest
    name = quote(str(release.get("name") or "release"), safe="")
    release_version = quote(str(release.get("version") or ""), safe="")
    predicate = {
        "verifier": {"id": VERIFIER_ID, "version": version},
        "timeVerified": report.get("created_at"),
        "resourceUri": f"pkg:generic/{name}@{release_version}",
        "policy": policy,
        "inputAttestations": inputs,
        "verificationResult": "PASSED" if passed else "FAILED",
        "verifiedLevels": [f"GATECHECK_GATE_{stage.upper().replace('-', '_')}"]
        if passed
        else ["FAILED"],
        "slsaVersion": "1.0",
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": predicate,
    }
