"""Producers vouch for what they produce: evidence and approvals as signed attestations.

``gatecheck attest`` wraps a tool's output, unchanged, as the predicate of an in-toto
Statement v1 about the release's artifacts; ``gatecheck approve`` writes an approver's own
signed decision about a release and change. Both sign with a key (DSSE) or keyless with
Sigstore, through the same signers as reports (``engine/signing.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatecheck.digest import canonical_json
from gatecheck.engine.signing import ReportSigner
from gatecheck.errors import EvidenceError, UsageError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, ParseContext
from gatecheck.evidence.signing import attestation


def release_subjects(manifest_path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The release manifest's artifacts as in-toto subjects, and the release's facts."""
    doc = Document(safe.read_limited(manifest_path), manifest_path.name)
    parser, fmt = registry.detect(doc, "release-manifest")
    release = registry.parse(doc, parser.family, fmt, ParseContext())
    subjects = []
    for artifact in release.get("artifacts") or []:
        digest = artifact.get("digest")
        if isinstance(digest, str) and digest:
            subjects.append(attestation.subject_from_digest(str(artifact.get("name")), digest))
    if not subjects:
        raise UsageError(f"{manifest_path}: the release manifest lists no artifact digest")
    return subjects, release


def parse_subject(text: str) -> dict[str, Any]:
    """``NAME@sha256:HEX`` (also ``sha512``) as an in-toto subject."""
    name, sep, digest = text.rpartition("@")
    if not sep or not name:
        raise UsageError(f"--subject {text!r}: give NAME@sha256:HEX")
    try:
        return attestation.subject_from_digest(name, digest)
    except EvidenceError as exc:
        raise UsageError(f"--subject {text!r}: {exc}") from None


def file_subject(path: Path) -> dict[str, Any]:
    """A file (e.g. the SBOM a scan read) as a subject, by its sha256."""
    digest = hashlib.sha256(safe.read_limited(path)).hexdigest()
    return {"name": path.name, "digest": {"sha256": digest}}


def attest_file(
    path: Path,
    evidence_type: str,
    *,
    subjects: Sequence[dict[str, Any]],
    signer: ReportSigner,
    timestamp: str,
    kind: str | None = None,
) -> bytes:
    """The signed attestation of ``path`` as ``evidence_type`` (checked by its parser first:
    a producer vouches only for what gatecheck can read as that type)."""
    raw = safe.read_limited(path)
    doc = Document(raw, path.name)
    registry.detect(doc, evidence_type)  # refuses a file that is not of the type
    predicate_type, predicate = attestation.predicate_for(
        raw, evidence_type, name=path.name, kind=kind, timestamp=timestamp
    )
    return sign_statement(attestation.statement(predicate_type, predicate, list(subjects)), signer)


def approve(
    *,
    signer: ReportSigner,
    decision: str,
    approval_type: str,
    change_id: str,
    release_version: str,
    timestamp: str,
    subjects: Sequence[dict[str, Any]],
    comment: str | None = None,
) -> bytes:
    """The signer's own approval statement, signed. The record names the signer's identity
    as approver; the trust policy's directory, not this name, says who that is."""
    key_id = getattr(signer, "key_id", None)
    approver = f"key:{key_id}" if key_id else str(signer.identity.identity)  # type: ignore[attr-defined]
    statement = approval_statement(
        approver=approver,
        decision=decision,
        approval_type=approval_type,
        change_id=change_id,
        release_version=release_version,
        timestamp=timestamp,
        subjects=subjects,
        comment=comment,
    )
    return sign_statement(statement, signer)


def approval_statement(
    *,
    approver: str,
    decision: str,
    approval_type: str,
    change_id: str,
    release_version: str,
    timestamp: str,
    subjects: Sequence[dict[str, Any]],
    comment: str | None = None,
) -> dict[str, Any]:
    from gatecheck.evidence.records.models import Approval

    record = Approval(
        approver=approver,
        decision=decision,
        time=timestamp,
        change_id=change_id,
        release_version=release_version,
        approval_type=approval_type,
        comment=comment,
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    return attestation.statement(
        attestation.gatecheck_predicate_type("approval"), record, list(subjects)
    )


def sign_statement(statement: dict[str, Any], signer: ReportSigner) -> bytes:
    return signer.sign([canonical_json(statement)])[0]
