"""A report as an in-toto attestation: Statement v1 whose predicate is the report itself.

Predicate type ``https://gatecheck.dev/report/v1``: the predicate is the complete report
(``engine/report.py``), unchanged. Subjects bind it to what it is about:

- one subject per release artifact that has a digest (name, ``{algorithm: hex}``), and
- ``bundle-manifest``: the sealed manifest digest of the evidence bundle the decision was
  made from (sha256 of the canonical manifest without its ``digest`` field, the value the
  report records as ``bundle_digest``).

The subjects are derived from the predicate alone, so a verifier recomputes them and any
disagreement between subjects and report (a swapped subject) is detected. The statement is
serialized with :func:`gatecheck.digest.canonical_json`: the same report always gives the same
payload bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatecheck.digest import canonical_json
from gatecheck.engine.report import REPORT_TYPE
from gatecheck.errors import ReportError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = REPORT_TYPE
"""The predicate type of gatecheck reports: ``https://gatecheck.dev/report/v1``."""
BUNDLE_SUBJECT = "bundle-manifest"
"""Subject name of the evidence bundle's manifest digest."""
PAYLOAD_TYPE = "application/vnd.in-toto+json"

_DIGEST_RE = re.compile(r"^(sha256|sha384|sha512):([0-9a-f]+)$")
_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def split_digest(value: Any) -> tuple[str, str] | None:
    """``("sha256", hex)`` for ``sha256:<hex>`` (or sha384/sha512); None when not a digest."""
    if not isinstance(value, str):
        return None
    match = _DIGEST_RE.match(value.strip().lower())
    if not match or len(match.group(2)) != _HEX_LENGTHS[match.group(1)]:
        return None
    return match.group(1), match.group(2)


def subjects_for(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statement subjects a report implies, in a fixed order (artifacts, then bundle).

    Artifacts without a usable digest are not subjects (the report still lists them and its
    controls judge them), so a failing report about an unpinned artifact can be signed too.
    """
    subjects: list[dict[str, Any]] = []
    release = report.get("release")
    if isinstance(release, Mapping):
        for artifact in release.get("artifacts") or []:
            if not isinstance(artifact, Mapping):
                continue
            digest = split_digest(artifact.get("digest"))
            name = artifact.get("name")
            if digest and isinstance(name, str) and name:
                subjects.append({"name": name, "digest": {digest[0]: digest[1]}})
    bundle_digest = split_digest(report.get("bundle_digest"))
    if bundle_digest and bundle_digest[0] == "sha256":
        subjects.append({"name": BUNDLE_SUBJECT, "digest": {"sha256": bundle_digest[1]}})
    return subjects


def build_statement(report: Mapping[str, Any]) -> dict[str, Any]:
    """The in-toto Statement v1 for ``report``; ReportError when it binds nothing."""
    if report.get("report_type") != PREDICATE_TYPE:
        raise ReportError(
            f"not a gatecheck report (report_type {report.get('report_type')!r}, "
            f"expected {PREDICATE_TYPE})"
        )
    subjects = subjects_for(report)
    if not subjects:
        reason = f" (decision error: {report.get('error')})" if report.get("error") else ""
        raise ReportError(
            "the report names no artifact digest and no bundle digest, so a signature "
            f"could bind it to nothing{reason}"
        )
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(report),
    }


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """Canonical payload bytes of a statement (what gets signed)."""
    try:
        return canonical_json(statement)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"the statement cannot be serialized as JSON ({exc})") from None


def report_payload(report: Mapping[str, Any]) -> bytes:
    """The signed payload of ``report``: its canonical in-toto Statement."""
    return statement_bytes(build_statement(report))
