"""`gatecheck ledger report --html`: the dashboard's figures counted exactly from entries, and
the page from a real ledger of `gatecheck evaluate --ledger` runs: escaped, self-contained,
deterministic, and showing a broken chain rather than hiding it."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import run_gatecheck
from ledger_report_support import HOSTILE, RUNS, build_ledger
from test_ledger import PG_SKIP, PG_URL, _postgres_database

from gatecheck.engine.ledger import open_ledger
from gatecheck.engine.ledger.interface import GENESIS, Entry, Record, entry_hash
from gatecheck.engine.ledger.report_data import (
    control_rates,
    recoveries,
    recovery_bin,
    summarize,
    timeline,
    waiver_uses,
)
from gatecheck.engine.ledger.report_html import render_dashboard
from gatecheck.engine.ledger.verify import ChainCheck


def _report(decision: str, waivers: list[dict[str, Any]] = ()) -> bytes:
    body = {"report_type": "x", "decision": decision, "waivers": {"applied": list(waivers)}}
    return json.dumps(body).encode()


def _chain(specs: list[dict[str, Any]]) -> list[Entry]:
    """Entries chained like a ledger's, from (release, stage, at, decision, controls, waivers)."""
    entries, prev = [], GENESIS
    for seq, spec in enumerate(specs, start=1):
        record = Record(
            release=spec.get("release", "shop@1.0"),
            stage=spec.get("stage", "staging"),
            effective_time=spec["at"],
            recorded_at=spec["at"],
            decision=spec["decision"],
            controls=spec.get("controls", {}),
            bundle_digest=None,
            policy_digest=None,
            report=spec.get("report") or _report(spec["decision"], spec.get("waivers", [])),
            report_kind="json",
            archive_sha256=None,
        )
        digest = entry_hash(record, prev)
        entries.append(Entry(seq=seq, record=record, prev_hash=prev, hash=digest))
        prev = digest
    return entries


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- figures from entries --------------------------------------------------------------------


def test_decisions_per_stage_per_day_fill_every_day_of_the_period() -> None:
    entries = _chain(
        [
            {"at": "2026-03-02T09:00:00Z", "decision": "pass", "stage": "dev"},
            {"at": "2026-03-02T10:00:00Z", "decision": "fail"},
            {"at": "2026-03-02T23:59:59Z", "decision": "fail"},
            {"at": "2026-03-05T00:00:00+01:00", "decision": "error"},  # 2026-03-04 in UTC
            {"at": "2026-03-05T08:00:00Z", "decision": "pass"},
        ]
    )
    dev, staging = timeline(entries, "day")
    assert dev.stage == "dev" and staging.stage == "staging"
    days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert [label for label, _ in staging.buckets] == days
    assert [counts for _, counts in staging.buckets] == [
        {"pass": 0, "fail": 2, "error": 0},
        {"pass": 0, "fail": 0, "error": 0},
        {"pass": 0, "fail": 0, "error": 1},
        {"pass": 1, "fail": 0, "error": 0},
    ]
    assert [counts for _, counts in dev.buckets][0] == {"pass": 1, "fail": 0}


def test_a_long_period_is_drawn_per_iso_week() -> None:
    entries = _chain(
        [
            {"at": "2026-01-01T10:00:00Z", "decision": "pass"},  # Thursday of 2026-W01
            {"at": "2026-01-04T10:00:00Z", "decision": "fail"},  # Sunday, same week
            {"at": "2026-03-20T10:00:00Z", "decision": "pass"},
        ]
    )
    dash = summarize(entries, ChainCheck(entries=len(entries)))
    assert dash.bucket == "week"
    (series,) = dash.timeline
    assert series.buckets[0] == ("2026-W01", {"pass": 1, "fail": 1})
    assert series.buckets[-1][0] == "2026-W12" and len(series.buckets) == 12
    assert sum(sum(c.values()) for _, c in series.buckets) == 3


def test_failure_rate_counts_only_evaluations_the_control_applied_to() -> None:
    entries = _chain(
        [
            {"at": "2026-03-02T10:00:00Z", "decision": "fail",
             "controls": {"GC-A": "fail", "GC-B": "pass", "GC-C": "not_applicable"}},
            {"at": "2026-03-02T11:00:00Z", "decision": "pass",
             "controls": {"GC-A": "waived", "GC-B": "fail", "GC-C": "not_applicable"}},
            {"at": "2026-03-02T12:00:00Z", "decision": "pass",
             "controls": {"GC-A": "pass", "GC-B": "warn", "GC-C": "fail"}},
        ]
    )  # fmt: skip
    rates = {r.control: r for r in control_rates(entries)}
    assert [r.control for r in control_rates(entries)] == ["GC-C", "GC-A", "GC-B"]
    assert (rates["GC-C"].evaluated, rates["GC-C"].failed, rates["GC-C"].rate) == (1, 1, 1.0)
    assert (rates["GC-A"].evaluated, rates["GC-A"].failed, rates["GC-A"].waived) == (3, 1, 1)
    assert (rates["GC-B"].failed, rates["GC-B"].warned) == (1, 1)
    assert rates["GC-A"].rate == pytest.approx(1 / 3)


def test_time_to_pass_follows_effective_time_not_the_order_of_recording() -> None:
    entries = _chain(
        [
            # recorded late: a replayed evaluation of an earlier effective time
            {"at": "2026-03-03T12:00:00Z", "decision": "pass"},
            {"at": "2026-03-01T10:00:00Z", "decision": "fail"},
            {"at": "2026-03-02T10:00:00Z", "decision": "fail"},
            {"at": "2026-03-01T10:00:00Z", "decision": "pass", "release": "cart@2.0"},
            {"at": "2026-03-01T09:00:00Z", "decision": "fail", "release": "cart@2.0",
             "stage": "production"},
            {"at": "2026-03-01T09:30:00Z", "decision": "error", "release": "cart@2.0",
             "stage": "production"},
        ]
    )  # fmt: skip
    found, clean = recoveries(entries)
    assert clean == 1  # cart@2.0 at staging passed without failing first
    by_key = {(r.release, r.stage): r for r in found}
    shop = by_key[("shop@1.0", "staging")]
    assert (shop.first_failure, shop.passed) == ("2026-03-01T10:00:00Z", "2026-03-03T12:00:00Z")
    assert shop.seconds == 2 * 86400 + 2 * 3600 and shop.evaluations == 3
    cart = by_key[("cart@2.0", "production")]
    assert cart.passed is None and cart.seconds is None and cart.evaluations == 2
    assert [recovery_bin(r.seconds) for r in found] == ["not passed yet", "1-3 d"]


def test_waivers_are_listed_once_with_their_uses_and_expiry_status() -> None:
    def waiver(wid: str, expires: str) -> dict[str, Any]:
        return {"id": wid, "control": "GC-TST-001", "approver": "ciso@example.org",
                "scope": {"release": "shop", "version": "1.0"}, "granted": "2026-03-01T00:00:00Z",
                "expires": expires}  # fmt: skip

    soon, later, gone = (
        waiver("W-1", "2026-03-20T00:00:00Z"),
        waiver("W-2", "2026-05-01T00:00:00Z"),
        waiver("W-3", "2026-03-04T00:00:00Z"),
    )
    entries = _chain(
        [
            {"at": "2026-03-02T10:00:00Z", "decision": "pass", "waivers": [soon, gone]},
            {"at": "2026-03-03T10:00:00Z", "decision": "pass", "waivers": [soon, later],
             "release": "shop@1.1"},
        ]
    )  # fmt: skip
    uses = [(e, w) for e in entries for w in json.loads(e.record.report)["waivers"]["applied"]]
    listed = waiver_uses(uses, _at("2026-03-05T00:00:00Z"), 30)
    assert [(w.id, w.uses, w.status) for w in listed] == [
        ("W-3", 1, "expired"),
        ("W-1", 2, "expiring"),
        ("W-2", 1, "active"),
    ]
    assert listed[1].releases == ["shop@1.0", "shop@1.1"]
    assert listed[1].last_used == "2026-03-03T10:00:00Z"
    assert listed[1].days_left == pytest.approx(15.0)
    assert [w.status for w in waiver_uses(uses, _at("2026-03-05T00:00:00Z"), 10)][1] == "active"


def test_entries_without_a_readable_report_or_time_are_counted_and_named() -> None:
    entries = _chain(
        [
            {"at": "2026-03-02T10:00:00Z", "decision": "pass", "report": b"{not json"},
            {"at": "", "decision": "error"},
            {"at": "2026-03-02T11:00:00Z", "decision": "fail"},
        ]
    )
    dash = summarize(entries, ChainCheck(entries=len(entries)))
    assert dash.unreadable == [1] and dash.undated == [2]
    assert dash.evaluations == 3 and dash.decisions == {"pass": 1, "fail": 1, "error": 1}
    assert sum(sum(c.values()) for _, c in dash.timeline[0].buckets) == 2
    page = render_dashboard(dash)
    assert "cannot be read" in page and "ids 1" in page and "ids 2" in page


def test_an_empty_selection_renders_without_charts() -> None:
    dash = summarize([], ChainCheck())
    page = render_dashboard(dash)
    assert dash.pass_rate is None and "No dated entries." in page and "<svg id=" not in page


def test_every_string_from_the_ledger_is_escaped() -> None:
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    waiver = {"id": hostile, "control": hostile, "scope": {"release": hostile},
              "approver": hostile, "granted": hostile, "expires": hostile}  # fmt: skip
    entries = _chain(
        [
            {"at": "2026-03-02T10:00:00Z", "decision": "fail", "release": hostile,
             "stage": hostile, "controls": {hostile: "fail"}},
            {"at": "2026-03-02T11:00:00Z", "decision": hostile, "release": hostile,
             "stage": hostile, "waivers": [waiver]},
        ]
    )  # fmt: skip
    page = render_dashboard(summarize(entries, ChainCheck(entries=len(entries))))
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


# -- the page from a real ledger -------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("dashboard")
    url, reports = build_ledger(root)
    assert [r["decision"] for r in reports] == ["pass", "fail", "fail", "pass", "fail", "fail"]
    return url, root


def _report_cmd(url: str, out: Path, *extra: str):  # noqa: ANN202
    return run_gatecheck("ledger", "report", "--ledger", url, "--html", str(out), *extra)


def test_the_page_sums_up_a_real_ledger(ledger: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = ledger
    out = tmp_path / "dash.html"
    proc = _report_cmd(url, out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        f"wrote {out}: 6 evaluations, 2 releases, 3 waivers used (1 expiring); chain intact"
    )
    page = out.read_text(encoding="utf-8")
    cards = dict(re.findall(r'<div class="card">([^<]+)<b[^>]*>([^<]+)</b>', page))
    assert cards == {
        "Evaluations": "6", "Releases": "2", "Pass rate": "33.3%", "Waivers used": "3",
        "Expiring within 30 d": "1", "Chain": "intact",
    }  # fmt: skip
    # one chart per stage, the failure-rate chart and the time-to-pass chart, each labelled
    charts = re.findall(r'<svg id="([^"]+)" class="chart" role="img"[^>]*aria-labelledby', page)
    assert charts == [
        "chart-decisions-0", "chart-decisions-1", "chart-decisions-2", "chart-failure-rate",
        "chart-time-to-pass",
    ]  # fmt: skip
    assert page.count("<title id=") == 5 and page.count("<details>") == 5
    # the waived run signed its report: its waivers came out of the DSSE envelope
    assert re.search(r"WVR-1</td>.*?expiring \(15\.4 days left\)", page)
    assert re.search(r"<td>payments-api@1\.4\.0</td><td>staging</td><td>2026-03-02T10:00:00Z"
                     r"</td><td>2026-03-03T12:30:00Z</td><td>1 d 2 h</td>", page)  # fmt: skip
    # the hostile release name is text, never markup
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;@1.4.0" in page
    assert HOSTILE not in page
    # self-contained: nothing is fetched
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    csp = html.unescape(
        page.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    )
    assert "default-src 'none'" in csp and "script-src 'none'" in csp


def test_the_page_is_the_same_for_the_same_ledger(ledger: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = ledger
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    assert _report_cmd(url, first).returncode == 0
    assert _report_cmd(url, second).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_filters_and_now_change_what_is_counted(ledger: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = ledger
    out = tmp_path / "staging.html"
    proc = _report_cmd(url, out, "--stage", "staging", "--release", "payments-api",
                       "--now", "2026-03-21T00:00:00Z")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    staged = [r for r in RUNS if r[0] == "payments" and r[1] == "staging"]
    assert f"{len(staged)} evaluations, 1 releases, 3 waivers used (0 expiring)" in proc.stdout
    page = out.read_text(encoding="utf-8")
    assert "release payments-api; stage staging" in page
    assert ">expired</span>" in page  # WVR-1 ended on 03-20
    assert "chart-decisions-1" not in page  # one stage selected: one decisions chart
    since = _report_cmd(url, out, "--since", "2026-03-04T00:00:00Z")
    assert "2 evaluations, 2 releases, 0 waivers used" in since.stdout


def test_a_broken_chain_is_shown_and_exits_1(ledger: tuple[str, Path], tmp_path: Path) -> None:
    url, root = ledger
    copy = tmp_path / "ledger.db"
    shutil.copy(root / "ledger.db", copy)
    shutil.copytree(root / "ledger.db.bundles", tmp_path / "ledger.db.bundles")
    with sqlite3.connect(copy) as db:  # someone with database access turns a fail into a pass
        db.execute("UPDATE entries SET decision = 'pass' WHERE seq = 2")
    out = tmp_path / "broken.html"
    proc = _report_cmd(f"sqlite:///{copy}", out)
    assert proc.returncode == 1
    assert "ledger rejected: entry 2 was edited" in proc.stderr
    page = out.read_text(encoding="utf-8")
    assert 'role="alert"><b class="broken">Chain broken</b>: entry 2 was edited' in page
    assert '<div class="card">Chain<b class="broken">BROKEN</b></div>' in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ledger", "sqlite:///{tmp}/absent.db"], "does not exist"),
        (["--ledger", "{url}", "--now", "yesterday"], "--now 'yesterday' is not an RFC 3339"),
        (["--ledger", "{url}", "--since", "2026-03-01"], "has no timezone"),
        ([], "no ledger given"),
    ],
)
def test_what_cannot_be_reported_exits_2_with_one_line(
    ledger: tuple[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    url, _ = ledger
    args = [a.format(tmp=tmp_path, url=url) for a in args]
    out = tmp_path / "never.html"
    proc = run_gatecheck("ledger", "report", *args, "--html", str(out),
                         env={"GATECHECK_LEDGER": ""})  # fmt: skip
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and not out.exists()


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
def test_postgresql_gives_the_same_page_for_the_same_entries(
    ledger: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = ledger
    with open_ledger(url) as source:
        entries = list(source.entries())
        archives = {e.record.archive_sha256: source.archive(e.record.archive_sha256)
                    for e in entries}  # fmt: skip
    for pg_url in _postgres_database():
        with open_ledger(pg_url) as book:
            for entry in entries:
                copied = book.append(entry.record, archives[entry.record.archive_sha256])
                assert copied.hash == entry.hash
        sqlite_page, pg_page = tmp_path / "sqlite.html", tmp_path / "pg.html"
        assert _report_cmd(url, sqlite_page).returncode == 0
        proc = _report_cmd(pg_url, pg_page)
        assert proc.returncode == 0, proc.stderr
        assert pg_page.read_bytes() == sqlite_page.read_bytes()


@pytest.mark.parametrize("bucket", ["auto", "day", "week", "month"])
def test_an_entry_dated_millennia_away_draws_only_periods_with_entries(bucket: str) -> None:
    entries = _chain(
        [
            {"at": "0001-01-01T00:00:00Z", "decision": "fail"},
            {"at": "2026-03-02T10:00:00Z", "decision": "pass"},
            {"at": "9999-12-31T23:59:59Z", "decision": "pass"},
            {"at": "0001-01-01T00:00:00+01:00", "decision": "error"},  # before year 1 in UTC
        ]
    )
    dash = summarize(entries, ChainCheck(entries=4), bucket=bucket)
    (series,) = dash.timeline
    assert len(series.buckets) == 3 and dash.undated == [4]
    assert [sum(c.values()) for _, c in series.buckets] == [1, 1, 1]
    assert series.buckets[-1][0].startswith("9999-") and "<svg" in render_dashboard(dash)


def test_month_buckets_cross_the_year() -> None:
    entries = _chain(
        [
            {"at": "2025-11-15T10:00:00Z", "decision": "pass"},
            {"at": "2026-02-01T10:00:00Z", "decision": "fail"},
        ]
    )
    (series,) = timeline(entries, "month")
    assert [label for label, _ in series.buckets] == ["2025-11", "2025-12", "2026-01", "2026-02"]
