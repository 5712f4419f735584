"""`gatecheck ledger report`: read the ledger once, check its chain, sum up the selected
entries and write the dashboard page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gatecheck.bundles.fsutil import atomic_write
from gatecheck.engine.ledger.interface import Ledger, LedgerError, Query
from gatecheck.engine.ledger.report_data import Dashboard, last_effective_time, summarize
from gatecheck.engine.ledger.report_html import render_dashboard
from gatecheck.engine.ledger.verify import check_chain


def write_dashboard(
    ledger: Ledger,
    query: Query,
    output: Path,
    *,
    filters: dict[str, str],
    now: datetime | None = None,
    expiring_days: int = 30,
    bucket: str = "auto",
) -> Dashboard:
    """Write the page for the entries ``query`` selects; the chain is checked over the whole
    ledger. Waiver expiry is measured from ``now``, else the ledger's last effective time (so
    the page depends on the ledger alone)."""
    entries = list(ledger.entries())
    chain = check_chain(entries, ledger.archive)
    dash = summarize(
        [e for e in entries if query.matches(e.record)],
        chain,
        filters=filters,
        reference=now or last_effective_time(entries),
        expiring_days=expiring_days,
        bucket=bucket,
    )
    try:
        atomic_write(output, render_dashboard(dash).encode("utf-8"))
    except OSError as exc:
        raise LedgerError(f"cannot write {output} ({exc.strerror or exc})") from None
    return dash
