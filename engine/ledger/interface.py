"""The decision ledger's contract: what one entry holds, how entries chain, and the interface
every backend (SQLite, PostgreSQL) implements.

An entry's hash covers every recorded field and the previous entry's hash, so an entry that is
deleted, reordered or edited afterwards breaks the chain at a place ``ledger verify`` names.
Entry ids (``seq``) are not hashed: the chain, not the numbering, fixes the order.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.errors import GatecheckError
from gatecheck.timeutil import parse_rfc3339

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""
ENTRY_VERSION = 1


class LedgerError(GatecheckError):
    """The ledger cannot be opened, read or written."""


@dataclass(frozen=True)
class Record:
    """What one evaluation adds to the ledger (everything but the chain fields)."""

    release: str
    """``name@version`` of the evaluated release, or empty when the bundle could not be read."""
    stage: str
    effective_time: str
    recorded_at: str
    decision: str
    controls: dict[str, str]
    """Control id -> status (pass, fail, warn, waived, not_applicable)."""
    bundle_digest: str | None
    policy_digest: str | None
    report: bytes
    """The signed report file (DSSE envelope or Sigstore bundle), or the JSON report unsigned."""
    report_kind: str
    """``dsse``, ``sigstore`` or ``json``."""
    archive_sha256: str | None
    """Content address of the stored bundle archive (None when no archive could be made)."""


@dataclass(frozen=True)
class Entry:
    """A record as stored: its position, its link to the previous entry and its own hash."""

    seq: int
    record: Record
    prev_hash: str
    hash: str

    def summary(self) -> dict[str, Any]:
        """The entry without the report bytes (list and show output, export index)."""
        data = asdict(self.record)
        data.pop("report")
        data["report_sha256"] = sha256_bytes(self.record.report)
        return {"id": self.seq, **data, "prev_hash": self.prev_hash, "hash": self.hash}


def record_row(record: Record) -> tuple[Any, ...]:
    """A record's columns after ``seq``, in the order of the entries table (both backends)."""
    return (
        record.release,
        record.stage,
        record.effective_time,
        record.recorded_at,
        record.decision,
        json.dumps(record.controls, sort_keys=True),
        record.bundle_digest,
        record.policy_digest,
        record.report,
        record.report_kind,
        record.archive_sha256,
    )


def entry_from_row(row: tuple[Any, ...]) -> Entry:
    """An entry from a row of the entries table, in the column order both backends use."""
    record = Record(
        release=row[1],
        stage=row[2],
        effective_time=row[3],
        recorded_at=row[4],
        decision=row[5],
        controls=json.loads(row[6]),
        bundle_digest=row[7],
        policy_digest=row[8],
        report=bytes(row[9]),
        report_kind=row[10],
        archive_sha256=row[11],
    )
    return Entry(seq=int(row[0]), record=record, prev_hash=row[12], hash=row[13])


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def entry_hash(record: Record, prev_hash: str) -> str:
    """sha256 over the canonical JSON of the record (report by its digest) and ``prev_hash``."""
    data = asdict(record)
    data["report"] = sha256_bytes(record.report)
    data["prev_hash"] = prev_hash
    data["entry_version"] = ENTRY_VERSION
    return sha256_bytes(canonical_json(data))


@dataclass(frozen=True)
class Query:
    """Filters for listing entries; None means any."""

    release: str | None = None
    stage: str | None = None
    decision: str | None = None
    since: datetime | None = None
    """Inclusive lower bound on the effective time."""
    until: datetime | None = None
    """Exclusive upper bound on the effective time."""

    def matches(self, record: Record) -> bool:
        if self.since is not None or self.until is not None:
            try:
                effective = parse_rfc3339(record.effective_time)
            except GatecheckError:
                return False
            if self.since is not None and effective < self.since:
                return False
            if self.until is not None and effective >= self.until:
                return False
        return (
            (self.release is None or record.release == self.release
             or record.release.split("@")[0] == self.release)
            and (self.stage is None or record.stage == self.stage)
            and (self.decision is None or record.decision == self.decision)
        )  # fmt: skip


class Ledger(ABC):
    """One ledger. Appends are atomic and serialized across processes and hosts."""

    url: str

    @abstractmethod
    def append(self, record: Record, archive: bytes | None) -> Entry:
        """Store ``archive`` (content-addressed) and chain ``record`` after the last entry."""

    @abstractmethod
    def entries(self) -> Iterator[Entry]:
        """Every entry in id order, exactly as stored (nothing is checked here)."""

    @abstractmethod
    def archive(self, sha256: str) -> bytes | None:
        """The stored bundle archive with that content address, or None."""

    def close(self) -> None:  # noqa: B027 - backends without resources keep the default
        """Release connections."""

    def get(self, seq: int) -> Entry | None:
        return next((e for e in self.entries() if e.seq == seq), None)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
