"""The ledger dashboard as one self-contained HTML page: inline CSS, charts drawn here as
inline SVG, no script, and a Content-Security-Policy that allows only the page's own style
(by hash), so the file opens offline and makes no request.

Every chart has a title and description for screen readers and a table with its numbers
behind it. Every string from the ledger is escaped: release names, control ids and waiver
fields come from evidence bundles and configuration, which are untrusted.
"""

from __future__ import annotations

import math

from gatecheck.engine.formats.html import _e, page_head
from gatecheck.engine.ledger.report_data import (
    ControlRate,
    Dashboard,
    Recovery,
    StageSeries,
    WaiverUse,
)

COLOURS = {
    "pass": "#067647",
    "fail": "#b42318",
    "error": "#dc6803",
    "rollback": "#6941c6",
}
OTHER_DECISION = "#475467"
RATE_COLOUR = "#c11574"
"""Failure-rate bars: a colour no other chart uses, so a screenshot tells the charts apart."""
RECOVERY_COLOUR = "#1570ef"
NOT_PASSED_COLOUR = "#98a2b3"
MAX_RATE_ROWS = 30
WIDTH = 880

_CSS = """
:root{--ink:#101828;--line:#d0d5dd;--muted:#475467;--fail:#b42318;--pass:#067647}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#f9fafb}
header{padding:20px 28px;background:#fff;border-bottom:1px solid var(--line)}
main{padding:8px 28px 40px;max-width:1100px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:16px;margin:28px 0 8px}
h3{font-size:14px;margin:16px 0 4px}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin-top:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}
.intact{color:var(--pass)}.broken{color:var(--fail)}
.alert{background:#fef3f2;border:1px solid var(--fail);padding:10px 14px;border-radius:6px}
figure{margin:8px 0 16px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px}
svg{display:block;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#344054}
.legend{display:flex;gap:14px;flex-wrap:wrap;margin:4px 0;font-size:12px;color:var(--muted)}
.legend svg{display:inline-block;vertical-align:-1px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{background:#f2f4f7;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin-top:6px}summary{cursor:pointer;color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.muted{color:var(--muted)}
.s-expired,.s-expiring{color:var(--fail);font-weight:600}
"""


def _num(value: float) -> str:
    """Coordinates with at most two decimals, the same on every platform."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "not passed yet"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{int(seconds)} s"


def _nice_max(value: int) -> int:
    """The y axis top: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        return f'<{tag} class="n">{text}</{tag}>' if i in numeric else f"<{tag}>{text}</{tag}>"

    head = "".join(cell("th", i, _e(h)) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
        "</table></div>"
    )


def _svg(chart_id: str, title: str, desc: str, height: float, body: str) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" role="img" width="{WIDTH}" height="{_num(height)}" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>'
        f"{body}</svg>"
    )


def _legend(items: list[tuple[str, str]]) -> str:
    swatch = (
        '<svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        'fill="{}"/></svg>'
    )
    spans = "".join(f"<span>{swatch.format(c)} {_e(label)}</span>" for label, c in items)
    return f'<div class="legend" aria-hidden="true">{spans}</div>'


def _details(table: str) -> str:
    return f"<details><summary>Numbers behind the chart</summary>{table}</details>"


def stacked_bars(chart_id: str, series: StageSeries) -> str:
    """One bar per bucket, one segment per decision, bottom to top in decision order."""
    left, right, top, bottom, height = 44, 10, 12, 42, 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    n = len(series.buckets)
    slot = plot_w / n
    bar = max(1.0, slot * 0.7)
    ymax = _nice_max(max((sum(c.values()) for _, c in series.buckets), default=0))
    parts = []
    for tick in (0, ymax / 2, ymax):
        y = top + plot_h - plot_h * tick / ymax
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(y)}" y2="{_num(y)}" '
            'stroke="#eaecf0"/>'
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">{_num(tick)}</text>'
        )
    every = max(1, math.ceil(n / 12))
    for i, (label, counts) in enumerate(series.buckets):
        x = left + i * slot + (slot - bar) / 2
        base = top + plot_h
        for decision, count in counts.items():
            if not count:
                continue
            h = plot_h * count / ymax
            base -= h
            colour = COLOURS.get(decision, OTHER_DECISION)
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base)}" width="{_num(bar)}" height="{_num(h)}" '
                f'fill="{colour}"><title>{_e(label)}: {count} {_e(decision)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{_num(x + bar / 2)}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    totals = {d: sum(c.get(d, 0) for _, c in series.buckets) for d in series.buckets[0][1]}
    desc = (
        f"Stacked bars of decisions at stage {series.stage} per {len(series.buckets)} periods "
        f"from {series.buckets[0][0]} to {series.buckets[-1][0]}: "
        + ", ".join(f"{n} {d}" for d, n in totals.items())
    )
    svg = _svg(chart_id, f"Decisions at stage {series.stage} over time", desc, height,
               "".join(parts))  # fmt: skip
    rows = [
        [_e(label), *(str(c[d]) for d in counts_order(series)), str(sum(c.values()))]
        for label, c in series.buckets
        if sum(c.values())
    ]
    headers = ["Period", *counts_order(series), "Total"]
    table = _table(headers, rows, numeric=set(range(1, len(headers))))
    legend = _legend([(d, COLOURS.get(d, OTHER_DECISION)) for d in counts_order(series)])
    return (
        f"<figure><h3>Stage {_e(series.stage)}</h3>{legend}{svg}"
        f"{_details(table + '<p class=muted>Periods without evaluations are left out.</p>')}"
        "</figure>"
    )


def counts_order(series: StageSeries) -> list[str]:
    return list(series.buckets[0][1]) if series.buckets else []


def rate_bars(controls: list[ControlRate]) -> str:
    shown = [c for c in controls if c.failed][:MAX_RATE_ROWS]
    if not shown:
        return "<p>No control failed in this period.</p>" + _rates_table(controls)
    left, right, row, top = 120, 110, 20, 6  # right: room for "100.0% (999/999)"
    plot_w = WIDTH - left - right
    height = top * 2 + row * len(shown)
    parts = []
    for i, c in enumerate(shown):
        y = top + i * row
        w = plot_w * (c.rate or 0.0)
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{_e(c.control)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{_num(max(w, 1.0))}" height="{row - 6}" '
            f'fill="{RATE_COLOUR}"><title>{_e(c.control)}: {c.failed} failed of '
            f"{c.evaluated} evaluated</title></rect>"
            f'<text x="{_num(left + w + 6)}" y="{y + 14}">{_pct(c.rate)} ({c.failed}/'
            f"{c.evaluated})</text>"
        )
    desc = "Horizontal bars, highest failure rate first: " + ", ".join(
        f"{c.control} {_pct(c.rate)}" for c in shown
    )
    svg = _svg("chart-failure-rate", "Failure rate per control", desc, height, "".join(parts))
    more = (
        f"<p class=muted>{len(shown)} controls that failed at least once are drawn; the table "
        "lists every control.</p>"
    )
    return f"<figure>{svg}{more}{_details(_rates_table(controls))}</figure>"


def _rates_table(controls: list[ControlRate]) -> str:
    rows = [
        [f"<code>{_e(c.control)}</code>", str(c.evaluated), str(c.failed), str(c.waived),
         str(c.warned), _pct(c.rate)]
        for c in controls
    ]  # fmt: skip
    headers = ["Control", "Evaluated", "Failed", "Waived", "Warned", "Failure rate"]
    return _table(headers, rows, numeric={1, 2, 3, 4, 5})


def recovery_chart(dash: Dashboard) -> str:
    bins = dash.recovery_histogram()
    left, right, top, bottom, height = 44, 10, 16, 40, 200
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    slot = plot_w / len(bins)
    bar = slot * 0.6
    ymax = _nice_max(max(n for _, n in bins))
    parts = [
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#d0d5dd"/>'
    ]
    for i, (label, count) in enumerate(bins):
        x = left + i * slot + (slot - bar) / 2
        h = plot_h * count / ymax
        colour = NOT_PASSED_COLOUR if i == len(bins) - 1 else RECOVERY_COLOUR
        if count:
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(top + plot_h - h)}" width="{_num(bar)}" '
                f'height="{_num(h)}" fill="{colour}"><title>{_e(label)}: {count}</title></rect>'
            )
        parts.append(
            f'<text x="{_num(x + bar / 2)}" y="{_num(top + plot_h - h - 4)}" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{_num(x + bar / 2)}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    desc = "Release and stage pairs by time from first failure to pass: " + ", ".join(
        f"{label} {n}" for label, n in bins
    )
    svg = _svg("chart-time-to-pass", "Time from first failure to pass", desc, height,
               "".join(parts))  # fmt: skip
    return f"<figure>{svg}{_details(_recovery_table(dash.recoveries))}</figure>"


def _recovery_table(recoveries: list[Recovery]) -> str:
    rows = [
        [_e(r.release or "-"), _e(r.stage), _e(r.first_failure), _e(r.passed or "-"),
         _e(duration_text(r.seconds)), str(r.evaluations)]
        for r in recoveries
    ]  # fmt: skip
    headers = ["Release", "Stage", "First failure", "Passed", "Time to pass", "Evaluations"]
    return _table(headers, rows, numeric={5})


def _waiver_table(waivers: list[WaiverUse]) -> str:
    def status(w: WaiverUse) -> str:
        if w.days_left is None or w.status == "expired":
            return _e(w.status)
        return f"{_e(w.status)} ({w.days_left:.1f} days left)"

    rows = [
        [_e(w.id or "-"), f"<code>{_e(w.control)}</code>", _e(w.scope), _e(w.approver),
         _e(w.granted), _e(w.expires), f'<span class="s-{_e(w.status)}">{status(w)}</span>',
         str(w.uses), "<br>".join(_e(r or "-") for r in w.releases), _e(w.last_used)]
        for w in waivers
    ]  # fmt: skip
    headers = ["Waiver", "Control", "Scope", "Approver", "Granted", "Expires", "Status", "Uses",
               "Releases", "Last used"]  # fmt: skip
    return _table(headers, rows, numeric={7})


def _chain(dash: Dashboard) -> str:
    chain = dash.chain
    if chain.ok:
        return (
            f'<p><b class="intact">Chain intact</b>: {chain.entries} entries checked, head '
            f"<code>{_e(chain.head)}</code>. Compare the head with one recorded elsewhere; "
            "report signatures are checked by <code>gatecheck ledger verify --key</code>.</p>"
        )
    return (
        f'<div class="alert" role="alert"><b class="broken">Chain broken</b>: '
        f"{_e(chain.problems[0])} ({chain.entries} entries read). The figures below are "
        "computed from the entries as stored and cannot be trusted.</div>"
    )


def _card(label: str, value: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<div class="card">{_e(label)}<b{attr}>{value}</b></div>'


def _filters(dash: Dashboard) -> str:
    if not dash.filters:
        return "every entry"
    return "; ".join(f"{_e(k)} {_e(v)}" for k, v in sorted(dash.filters.items()))


def render_dashboard(dash: Dashboard) -> str:
    chain_text = "intact" if dash.chain.ok else "BROKEN"
    cards = "".join(
        [
            _card("Evaluations", str(dash.evaluations)),
            _card("Releases", str(dash.releases)),
            _card("Pass rate", _pct(dash.pass_rate)),
            _card("Waivers used", str(len(dash.waivers))),
            _card(f"Expiring within {dash.expiring_days} d", str(dash.waivers_expiring)),
            _card("Chain", chain_text, "intact" if dash.chain.ok else "broken"),
        ]
    )
    decisions = ", ".join(f"{n} {_e(d)}" for d, n in dash.decisions.items()) or "none"
    notes = []
    if dash.undated:
        notes.append(
            f"{len(dash.undated)} entries have no readable effective time and are in no time "
            f"series (ids {', '.join(map(str, dash.undated))})."
        )
    if dash.unreadable:
        notes.append(
            f"The reports of {len(dash.unreadable)} entries cannot be read, so their waivers "
            f"are missing (ids {', '.join(map(str, dash.unreadable))})."
        )
    timeline = (
        "".join(
            stacked_bars(f"chart-decisions-{i}", series) for i, series in enumerate(dash.timeline)
        )
        or "<p>No dated entries.</p>"
    )
    reference = (
        f"measured from {_e(dash.reference_time)}" if dash.reference_time else "no reference time"
    )
    waivers = _waiver_table(dash.waivers) if dash.waivers else "<p>No waiver was applied.</p>"
    recoveries = (
        recovery_chart(dash)
        if dash.recoveries
        else "<p>No release failed at a stage in this period.</p>"
    )
    return f"""{page_head(f"gatecheck decision ledger: {dash.evaluations} evaluations", _CSS)}<body>
<header>
<h1>Decision ledger</h1>
<p>Entries: {_filters(dash)}. Decisions: {decisions}.</p>
<div class="cards">{cards}</div>
</header>
<main>
<section id="chain" aria-labelledby="h-chain"><h2 id="h-chain">Chain status</h2>{_chain(dash)}</section>
{"".join(f"<p class=muted>{_e(n)}</p>" for n in notes)}
<section id="decisions" aria-labelledby="h-decisions">
<h2 id="h-decisions">Decisions over time per stage (per {_e(dash.bucket)})</h2>
{timeline}
</section>
<section id="failure-rates" aria-labelledby="h-rates">
<h2 id="h-rates">Failure rate per control</h2>
<p class="muted">Failed evaluations over the evaluations the control applied to (any status
but not_applicable); a waived failure counts as waived, not failed.</p>
{rate_bars(dash.controls)}
</section>
<section id="waivers" aria-labelledby="h-waivers">
<h2 id="h-waivers">Waivers used: {len(dash.waivers)}, expiring within {dash.expiring_days} days: {dash.waivers_expiring}</h2>
<p class="muted">Every waiver applied by an evaluation in this period; expiry {reference}.</p>
{waivers}
</section>
<section id="time-to-pass" aria-labelledby="h-recovery">
<h2 id="h-recovery">Time from first failure to pass</h2>
<p class="muted">Per release and stage: the first failed evaluation and the first pass after
it, by effective time. {dash.passed_first_time} release and stage pairs passed without
failing first.</p>
{recoveries}
</section>
</main>
</body>
</html>
"""
