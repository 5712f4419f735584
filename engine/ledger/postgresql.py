"""PostgreSQL ledger (``postgresql://user@host:port/db``, psycopg 3) for pipelines on many
machines sharing one ledger. Bundle archives are rows of a bytea table keyed by their sha256.
Each append runs in one transaction that first takes a transaction-scoped advisory lock, so
appends from any number of hosts are serialized and each links to the one before it."""

from __future__ import annotations

from collections.abc import Iterator

from gatecheck.digest import sha256_bytes
from gatecheck.engine.ledger.interface import (
    GENESIS,
    Entry,
    Ledger,
    LedgerError,
    Record,
    entry_from_row,
    entry_hash,
    record_row,
)

# Any fixed 64-bit number; it names the ledger's append lock among the database's advisory locks.
APPEND_LOCK = 0x6761746563686B31  # "gatechk1"
CONNECT_TIMEOUT_S = 10
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS gatecheck_ledger (
        seq BIGINT PRIMARY KEY,
        release TEXT NOT NULL,
        stage TEXT NOT NULL,
        effective_time TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        decision TEXT NOT NULL,
        controls TEXT NOT NULL,
        bundle_digest TEXT,
        policy_digest TEXT,
        report BYTEA NOT NULL,
        report_kind TEXT NOT NULL,
        archive_sha256 TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE IF NOT EXISTS gatecheck_ledger_bundles (
        sha256 TEXT PRIMARY KEY,
        data BYTEA NOT NULL
    )""",
)
COLUMNS = (
    "seq, release, stage, effective_time, recorded_at, decision, controls, bundle_digest, "
    "policy_digest, report, report_kind, archive_sha256, prev_hash, hash"
)


def _redact(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


class PostgresLedger(Ledger):
    def __init__(self, url: str) -> None:
        self.url = url
        self.name = _redact(url)
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                "a postgresql:// ledger needs psycopg 3: pip install 'gatecheck[postgres]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        try:
            self.db = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
            with self.db.transaction():
                # Concurrent first uses race on CREATE TABLE IF NOT EXISTS; the lock orders them.
                self.db.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                for statement in SCHEMA:
                    self.db.execute(statement)
        except psycopg.Error as exc:
            raise LedgerError(f"ledger {self.name} cannot be opened ({_one_line(exc)})") from None

    def append(self, record: Record, archive: bytes | None) -> Entry:
        try:
            with self.db.transaction():
                if archive is not None and not self._has_archive(sha256_bytes(archive)):
                    self.db.execute(
                        "INSERT INTO gatecheck_ledger_bundles (sha256, data) VALUES (%s, %s) "
                        "ON CONFLICT (sha256) DO NOTHING",
                        (sha256_bytes(archive), archive),
                    )
                self.db.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                last = self.db.execute(
                    "SELECT seq, hash FROM gatecheck_ledger ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (int(last[0]) + 1, last[1]) if last else (1, GENESIS)
                digest = entry_hash(record, prev)
                self.db.execute(
                    f"INSERT INTO gatecheck_ledger ({COLUMNS}) VALUES ({', '.join(['%s'] * 14)})",
                    (seq, *record_row(record), prev, digest),
                )
        except self._errors as exc:
            raise LedgerError(f"ledger {self.name} cannot be written ({_one_line(exc)})") from None
        return Entry(seq=seq, record=record, prev_hash=prev, hash=digest)

    def _has_archive(self, sha256: str) -> bool:
        """Most evaluations re-record a bundle already stored: skip sending its bytes again."""
        row = self.db.execute(
            "SELECT 1 FROM gatecheck_ledger_bundles WHERE sha256 = %s", (sha256,)
        ).fetchone()
        return row is not None

    def entries(self) -> Iterator[Entry]:
        try:
            with self.db.transaction():
                rows = self.db.execute(
                    f"SELECT {COLUMNS} FROM gatecheck_ledger ORDER BY seq"
                ).fetchall()
        except self._errors as exc:
            raise LedgerError(f"ledger {self.name} cannot be read ({_one_line(exc)})") from None
        for row in rows:
            yield entry_from_row(row)

    def get(self, seq: int) -> Entry | None:
        try:
            with self.db.transaction():
                row = self.db.execute(
                    f"SELECT {COLUMNS} FROM gatecheck_ledger WHERE seq = %s", (seq,)
                ).fetchone()
        except self._errors as exc:
            raise LedgerError(f"ledger {self.name} cannot be read ({_one_line(exc)})") from None
        return entry_from_row(row) if row else None

    def archive(self, sha256: str) -> bytes | None:
        try:
            with self.db.transaction():
                row = self.db.execute(
                    "SELECT data FROM gatecheck_ledger_bundles WHERE sha256 = %s", (sha256,)
                ).fetchone()
        except self._errors as exc:
            raise LedgerError(f"ledger {self.name} cannot be read ({_one_line(exc)})") from None
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self.db.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
