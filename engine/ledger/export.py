"""Exporting a period of the ledger as one deterministic .tar.gz an auditor verifies offline.

Layout: ``ledger.json`` (format, the entries with their chain fields, the head hash),
``reports/<id>.json`` (each entry's report file, byte for byte) and
``bundles/<sha256>.tar.gz`` (each bundle archive once). The export holds the contiguous run of
entries from the first to the last one whose effective time lies in the period, so their links
check without the rest of the ledger; the first entry's link is the anchor to compare with the
full ledger. Same entries, same bytes: sorted members, fixed mode, owner and mtime, gzip
without name or time.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gatecheck.bundles.archive import unpack_bundle
from gatecheck.bundles.fsutil import atomic_write
from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.engine.ledger.interface import Entry, Ledger, LedgerError, Query, Record, is_sha256
from gatecheck.errors import GatecheckError

FORMAT = "https://gatecheck.dev/ledger-export/v1"


def select_period(ledger: Ledger, query: Query) -> list[Entry]:
    """The contiguous entries from the first to the last that ``query`` matches."""
    entries = list(ledger.entries())
    hits = [i for i, e in enumerate(entries) if query.matches(e.record)]
    return entries[hits[0] : hits[-1] + 1] if hits else []


def _entry_document(entry: Entry) -> dict[str, Any]:
    record = asdict(entry.record)
    record.pop("report")
    return {
        "id": entry.seq,
        **record,
        "report_file": f"reports/{entry.seq}.json",
        "report_sha256": sha256_bytes(entry.record.report),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def write_export(ledger: Ledger, entries: list[Entry], output: Path) -> dict[str, Any]:
    """Write the export; returns its index (``ledger.json``)."""
    index = {
        "format": FORMAT,
        "source": ledger.url if "@" not in ledger.url else "postgresql",
        "entries": [_entry_document(e) for e in entries],
        "head": entries[-1].hash if entries else None,
    }
    files: dict[str, bytes] = {"ledger.json": canonical_json(index) + b"\n"}
    for entry in entries:
        files[f"reports/{entry.seq}.json"] = entry.record.report
        sha = entry.record.archive_sha256
        if sha and f"bundles/{sha}.tar.gz" not in files:
            data = ledger.archive(sha)
            if data is None:
                raise LedgerError(f"entry {entry.seq}: its bundle archive {sha} is missing")
            files[f"bundles/{sha}.tar.gz"] = data
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name in sorted(files):
                info = tarfile.TarInfo(name)
                info.size = len(files[name])
                info.mtime = 0
                info.mode = 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(files[name]))
    try:
        atomic_write(output, buffer.getvalue())
    except OSError as exc:
        raise LedgerError(f"cannot write {output} ({exc.strerror or exc})") from None
    return index


class ExportedLedger:
    """An export opened for verification (unpacked safely into a private folder)."""

    def __init__(self, path: Path) -> None:
        self.url = str(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="gatecheck-ledger-export-")
        self.root = Path(self._tmp.name)
        try:
            unpack_bundle(path, self.root)
            self.index = json.loads((self.root / "ledger.json").read_bytes())
        except (GatecheckError, OSError, ValueError) as exc:
            self.close()
            detail = exc.diagnostics() if isinstance(exc, GatecheckError) else str(exc)
            raise LedgerError(f"{path} is not a readable ledger export ({detail})") from None
        if not isinstance(self.index, dict) or self.index.get("format") != FORMAT:
            self.close()
            raise LedgerError(f"{path} is not a gatecheck ledger export (format {FORMAT})")

    def entries(self) -> list[Entry]:
        entries = []
        try:
            for doc in self.index.get("entries") or []:
                report = (self.root / "reports" / f"{int(doc['id'])}.json").read_bytes()
                fields = {k: doc[k] for k in Record.__dataclass_fields__ if k != "report"}
                entries.append(
                    Entry(
                        seq=int(doc["id"]),
                        record=Record(report=report, **fields),
                        prev_hash=str(doc["prev_hash"]),
                        hash=str(doc["hash"]),
                    )
                )
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise LedgerError(f"{self.url}: an entry cannot be read ({exc})") from None
        return entries

    def archive(self, sha256: str) -> bytes | None:
        if not is_sha256(sha256):
            return None
        try:
            return (self.root / "bundles" / f"{sha256}.tar.gz").read_bytes()
        except OSError:
            return None

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> ExportedLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
