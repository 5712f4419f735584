"""The decision ledger: one hash-chained entry per evaluation, with its report and bundle."""

from __future__ import annotations

from gatecheck.engine.ledger.interface import Entry, Ledger, LedgerError, Query, Record

__all__ = ["Entry", "Ledger", "LedgerError", "Query", "Record", "open_ledger"]


def open_ledger(url: str, *, create: bool = True) -> Ledger:
    """The ledger at ``url`` (``sqlite:///path`` or ``postgresql://...``)."""
    if url.startswith("sqlite:///"):
        from gatecheck.engine.ledger.sqlite import SqliteLedger

        return SqliteLedger(url, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        from gatecheck.engine.ledger.postgresql import PostgresLedger

        return PostgresLedger(url)
    raise LedgerError(
        f"ledger URL {url!r} is not supported: use sqlite:///path/ledger.db or "
        "postgresql://user@host/db"
    )
