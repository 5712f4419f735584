"""From an evaluation to a ledger record: the report's facts, the report file and the bundle
archive (the archive as given, or a directory bundle packed deterministically)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from gatecheck.digest import sha256_bytes
from gatecheck.engine.ledger.interface import Record
from gatecheck.errors import GatecheckError
from gatecheck.timeutil import format_rfc3339, now_utc


def release_label(report: dict[str, Any]) -> str:
    release = report.get("release") or {}
    name, version = release.get("name"), release.get("version")
    if not name:
        return ""
    return f"{name}@{version}" if version else str(name)


def bundle_archive(bundle: Path, report: dict[str, Any]) -> bytes | None:
    """The bundle's archive bytes, or None when the evaluation never verified the bundle (a
    tampered or missing bundle is named by the report's error, not archived)."""
    from gatecheck.bundles.archive import is_archive, pack_bundle

    if not report.get("bundle_digest"):
        return None
    try:
        if is_archive(bundle):
            return bundle.read_bytes()
        with tempfile.TemporaryDirectory(prefix="gatecheck-ledger-") as tmp:
            target = Path(tmp) / "bundle.tar.gz"
            pack_bundle(bundle, target)
            return target.read_bytes()
    except (OSError, GatecheckError):
        return None


def make_record(
    report: dict[str, Any], report_file: bytes, report_kind: str, archive: bytes | None
) -> Record:
    return Record(
        release=release_label(report),
        stage=str(report.get("stage") or ""),
        effective_time=str(report.get("effective_time") or ""),
        recorded_at=format_rfc3339(now_utc()),
        decision=str(report.get("decision")),
        controls={str(r.get("control")): str(r.get("status")) for r in report.get("results") or []},
        bundle_digest=report.get("bundle_digest"),
        policy_digest=report.get("policy_digest"),
        report=report_file,
        report_kind=report_kind,
        archive_sha256=sha256_bytes(archive) if archive is not None else None,
    )


def record_evaluation(
    url: str, report: dict[str, Any], report_file: bytes, report_kind: str, bundle: Path
) -> Any:
    """Append the evaluation to the ledger at ``url``; the new Entry. LedgerError if it
    cannot be written."""
    from gatecheck.engine.ledger import open_ledger

    archive = bundle_archive(bundle, report)
    with open_ledger(url) as ledger:
        return ledger.append(make_record(report, report_file, report_kind, archive), archive)
