"""SQLite ledger (``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``): zero
setup for one machine. Bundle archives live content-addressed in a folder beside the database
(``<db>.bundles/<sha256>.tar.gz``). ``BEGIN IMMEDIATE`` takes the write lock before the last
entry is read, so concurrent appends from many processes queue and each links to the one
before it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from gatecheck.bundles.fsutil import atomic_write
from gatecheck.digest import sha256_bytes
from gatecheck.engine.ledger.interface import (
    GENESIS,
    Entry,
    Ledger,
    LedgerError,
    Record,
    entry_from_row,
    entry_hash,
    is_sha256,
    record_row,
)

BUSY_TIMEOUT_S = 60.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    release TEXT NOT NULL,
    stage TEXT NOT NULL,
    effective_time TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    decision TEXT NOT NULL,
    controls TEXT NOT NULL,
    bundle_digest TEXT,
    policy_digest TEXT,
    report BLOB NOT NULL,
    report_kind TEXT NOT NULL,
    archive_sha256 TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)
"""
COLUMNS = (
    "seq, release, stage, effective_time, recorded_at, decision, controls, bundle_digest, "
    "policy_digest, report, report_kind, archive_sha256, prev_hash, hash"
)


def path_of(url: str) -> Path:
    rest = url.removeprefix("sqlite:///")
    if not rest or rest == url:
        raise LedgerError(
            f"ledger URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return Path(rest)


class SqliteLedger(Ledger):
    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.path = path_of(url)
        self.bundles = self.path.with_name(self.path.name + ".bundles")
        if not self.path.exists() and not create:
            raise LedgerError(f"ledger {self.path} does not exist")
        if not self.path.parent.is_dir():
            raise LedgerError(
                f"ledger {self.path} cannot be created: folder {self.path.parent} does not exist"
            )
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(SCHEMA)
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path} cannot be opened ({exc})") from None

    def append(self, record: Record, archive: bytes | None) -> Entry:
        try:
            if archive is not None:
                self._store_archive(archive)
            self.db.execute("BEGIN IMMEDIATE")
            try:
                last = self.db.execute(
                    "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                digest = entry_hash(record, prev)
                self.db.execute(
                    f"INSERT INTO entries ({COLUMNS}) VALUES ({', '.join('?' * 14)})",
                    (seq, *record_row(record), prev, digest),
                )
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"ledger {self.path} cannot be written ({exc})") from None
        return Entry(seq=seq, record=record, prev_hash=prev, hash=digest)

    def _store_archive(self, archive: bytes) -> None:
        target = self.bundles / f"{sha256_bytes(archive)}.tar.gz"
        if target.exists():
            return
        self.bundles.mkdir(exist_ok=True)
        atomic_write(target, archive)

    def entries(self) -> Iterator[Entry]:
        try:
            cursor = self.db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY seq")
            for row in cursor:
                yield entry_from_row(row)
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path} cannot be read ({exc})") from None

    def get(self, seq: int) -> Entry | None:
        try:
            row = self.db.execute(f"SELECT {COLUMNS} FROM entries WHERE seq = ?", (seq,)).fetchone()
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path} cannot be read ({exc})") from None
        return entry_from_row(row) if row else None

    def archive(self, sha256: str) -> bytes | None:
        if not is_sha256(sha256):  # a name from the database never reaches the file system raw
            return None
        target = self.bundles / f"{sha256}.tar.gz"
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LedgerError(f"bundle archive {target} cannot be read ({exc})") from None

    def close(self) -> None:
        self.db.close()
