"""``gatecheck ledger``: list, show, verify and export the decision ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gatecheck.cli.common import handle_errors

LEDGER_OPTION = click.option(
    "--ledger",
    "ledger_url",
    envvar="GATECHECK_LEDGER",
    metavar="URL",
    help="Ledger URL (sqlite:///path or postgresql://...); default: GATECHECK_LEDGER.",
)
STAGES = ("dev", "staging", "production", "post-deploy")
DECISIONS = ("pass", "fail", "error", "rollback")


def _url(ledger_url: str | None) -> str:
    from gatecheck.errors import UsageError

    if not ledger_url:
        raise UsageError("no ledger given: pass --ledger URL or set GATECHECK_LEDGER")
    return ledger_url


def _query(release: str | None, stage: str | None, decision: str | None, since: str | None,
           until: str | None) -> Any:  # fmt: skip
    from gatecheck.engine.ledger import Query
    from gatecheck.timeutil import parse_rfc3339

    return Query(
        release=release,
        stage=stage,
        decision=decision,
        since=parse_rfc3339(since, what="--since") if since else None,
        until=parse_rfc3339(until, what="--until") if until else None,
    )


def _period_options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--release", help="Release name, or name@version."),
            click.option("--stage", type=click.Choice(STAGES)),
            click.option("--decision", type=click.Choice(DECISIONS)),
            click.option("--since", metavar="RFC3339", help="Effective time at or after."),
            click.option("--until", metavar="RFC3339", help="Effective time before."),
        ]
    ):
        fn = option(fn)
    return fn


@click.group("ledger")
def ledger() -> None:
    """The decision ledger: one hash-chained entry per evaluation (docs/ledger.md)."""


@ledger.command("list")
@LEDGER_OPTION
@_period_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def list_entries(ledger_url: str | None, fmt: str, **filters: str | None) -> None:
    """List entries (id, effective time, stage, release, decision)."""
    from gatecheck.engine.ledger import open_ledger

    query = _query(**filters)
    with open_ledger(_url(ledger_url), create=False) as book:
        found = [e for e in book.entries() if query.matches(e.record)]
    if fmt == "json":
        sys.stdout.write(json.dumps([e.summary() for e in found], indent=2) + "\n")
        return
    for entry in found:
        r = entry.record
        click.echo(
            f"{entry.seq:>6}  {r.effective_time:<24} {r.stage:<11} {r.decision:<8} "
            f"{r.release or '-'}"
        )
    click.echo(f"{len(found)} entries")


@ledger.command("show")
@click.argument("entry_id", metavar="ID", type=int)
@LEDGER_OPTION
@click.option(
    "--report", "report_out", type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the entry's report file (as signed) to FILE.",
)  # fmt: skip
@handle_errors
def show(entry_id: int, ledger_url: str | None, report_out: Path | None) -> None:
    """Show one entry as JSON (its report file with --report)."""
    from gatecheck.cli.common import write_output
    from gatecheck.engine.ledger import open_ledger
    from gatecheck.errors import UsageError

    with open_ledger(_url(ledger_url), create=False) as book:
        entry = book.get(entry_id)
    if entry is None:
        raise UsageError(f"the ledger has no entry {entry_id}")
    sys.stdout.write(json.dumps(entry.summary(), indent=2) + "\n")
    if report_out is not None:
        write_output(report_out, entry.record.report.decode("utf-8"))


@ledger.command("verify")
@click.argument("export", metavar="[EXPORT]", required=False, type=click.Path(path_type=Path))
@LEDGER_OPTION
@click.option(
    "--key", "key_paths", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    metavar="PUB", help="Public key the reports were signed with (repeatable): every "
    "key-signed report is verified and must state its entry's facts.",
)  # fmt: skip
@handle_errors
def verify(export: Path | None, ledger_url: str | None, key_paths: tuple[Path, ...]) -> None:
    """Recompute the hash chain, the bundle archives and (with --key) every report signature.

    Checks the ledger, or an export file given as EXPORT. Exit 0 intact, 1 a problem found
    (the first deleted, reordered or edited entry is named), 2 the ledger cannot be read.
    """
    from gatecheck.engine.ledger import open_ledger
    from gatecheck.engine.ledger.export import ExportedLedger
    from gatecheck.engine.ledger.verify import check_chain

    keys = _keys(key_paths)
    if export is not None:
        with ExportedLedger(export) as opened:
            result = check_chain(opened.entries(), opened.archive, keys, excerpt=True)
            where = str(export)
    else:
        with open_ledger(_url(ledger_url), create=False) as book:
            result = check_chain(book.entries(), book.archive, keys)
            where = "ledger"
    if not result.ok:
        click.echo(f"gatecheck: ledger rejected: {result.problems[0]}", err=True)
        sys.exit(1)
    click.echo(
        f"verified: {where}: {result.entries} entries, chain intact, head {result.head}; "
        f"{result.signatures_checked} report signatures verified, {result.unsigned} reports "
        "not signature-checked"
    )


def _keys(paths: tuple[Path, ...]) -> list[Any]:
    from gatecheck.errors import UsageError
    from gatecheck.evidence.signing.keys import KeyError_, load_public_key

    keys = []
    for path in paths:
        try:
            keys.append(load_public_key(path.read_bytes(), what=f"public key {path}"))
        except OSError as exc:
            raise UsageError(f"public key {path} cannot be read ({exc.strerror or exc})") from None
        except KeyError_ as exc:
            raise UsageError(str(exc)) from None
    return keys


@ledger.command("export")
@LEDGER_OPTION
@_period_options
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.tar.gz", help="The export to write (deterministic .tar.gz).",
)  # fmt: skip
@handle_errors
def export(ledger_url: str | None, output: Path, **filters: str | None) -> None:
    """Export a period's entries, reports and bundles, verifiable offline with
    `gatecheck ledger verify FILE`."""
    from gatecheck.engine.ledger import open_ledger
    from gatecheck.engine.ledger.export import select_period, write_export

    query = _query(**filters)
    with open_ledger(_url(ledger_url), create=False) as book:
        entries = select_period(book, query)
        index = write_export(book, entries, output)
    click.echo(
        f"exported {len(index['entries'])} entries to {output} (head {index['head'] or '-'})"
    )


@ledger.command("report")
@LEDGER_OPTION
@click.option(
    "--html", "html_out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE", help="The dashboard page to write (self-contained HTML, no network).",
)  # fmt: skip
@click.option("--release", help="Release name, or name@version.")
@click.option("--stage", type=click.Choice(STAGES))
@click.option("--since", metavar="RFC3339", help="Effective time at or after.")
@click.option("--until", metavar="RFC3339", help="Effective time before.")
@click.option(
    "--now", metavar="RFC3339",
    help="Measure waiver expiry from this time (default: the ledger's last effective time).",
)  # fmt: skip
@click.option(
    "--expiring-days", type=click.IntRange(0, 3650), default=30, show_default=True,
    help="A used waiver expiring within this many days is flagged as expiring.",
)  # fmt: skip
@click.option(
    "--bucket", type=click.Choice(["auto", "day", "week", "month"]), default="auto",
    show_default=True, help="Time bucket of the decisions chart (auto: per day up to 62 "
    "days, per ISO week up to 400 weeks, else per month).",
)  # fmt: skip
@handle_errors
def report(
    ledger_url: str | None,
    html_out: Path,
    now: str | None,
    expiring_days: int,
    bucket: str,
    **filters: str | None,
) -> None:
    """Write a dashboard of the ledger: decisions over time per stage, failure rate per
    control, waivers used and expiring, time from first failure to pass, chain status.

    Exit 0 written, 1 written but the chain is broken (the page says where), 2 the ledger
    cannot be read or the page cannot be written.
    """
    from gatecheck.engine.ledger import open_ledger
    from gatecheck.engine.ledger.report import write_dashboard
    from gatecheck.timeutil import parse_rfc3339

    query = _query(decision=None, **filters)
    given = {k: v for k, v in filters.items() if v}
    moment = parse_rfc3339(now, what="--now") if now else None
    with open_ledger(_url(ledger_url), create=False) as book:
        dash = write_dashboard(
            book, query, html_out, filters=given, now=moment, expiring_days=expiring_days,
            bucket=bucket,
        )  # fmt: skip
    if not dash.chain.ok:
        click.echo(f"gatecheck: ledger rejected: {dash.chain.problems[0]}", err=True)
        click.echo(f"wrote {html_out} (it shows the broken chain)", err=True)
        sys.exit(1)
    click.echo(
        f"wrote {html_out}: {dash.evaluations} evaluations, {dash.releases} releases, "
        f"{len(dash.waivers)} waivers used ({dash.waivers_expiring} expiring); chain intact, "
        f"head {dash.chain.head}"
    )
