"""The dashboard's figures: pure functions from ledger entries (and the chain check) to the
numbers `gatecheck ledger report` draws. No clock, no I/O: the same entries give the same
figures, so the page is deterministic for a given ledger.

Times are the entries' effective times (what `ledger list --since/--until` filters on). An
entry whose effective time cannot be read (an evaluation that errored before it had one)
counts in the totals and the control rates but in no time series.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gatecheck.engine.ledger.interface import Entry
from gatecheck.engine.ledger.verify import ChainCheck
from gatecheck.errors import GatecheckError
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

STAGE_ORDER = ("dev", "staging", "production", "post-deploy")
DECISION_ORDER = ("pass", "fail", "error", "rollback")
DAY_BUCKETS_UP_TO = 62
"""Periods up to this many days are drawn per day, longer ones per ISO week, or per month
when that would exceed MAX_BUCKETS."""
MAX_BUCKETS = 400
"""Beyond this many periods (an entry dated decades away) only periods with entries are drawn."""
RECOVERY_BINS: tuple[tuple[str, float], ...] = (
    ("under 1 h", 3600),
    ("1-4 h", 4 * 3600),
    ("4-24 h", 86400),
    ("1-3 d", 3 * 86400),
    ("3-7 d", 7 * 86400),
    ("7 d or more", float("inf")),
)
NOT_PASSED = "not passed yet"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StageSeries:
    """Decisions per time bucket at one stage; every bucket of the period, zeros included."""

    stage: str
    buckets: list[tuple[str, dict[str, int]]]


@dataclass(frozen=True)
class ControlRate:
    control: str
    evaluated: int
    """Entries in which the control had a status other than not_applicable."""
    failed: int
    waived: int
    warned: int

    @property
    def rate(self) -> float | None:
        return self.failed / self.evaluated if self.evaluated else None


@dataclass(frozen=True)
class WaiverUse:
    id: str
    control: str
    scope: str
    approver: str
    granted: str
    expires: str
    uses: int
    releases: list[str]
    last_used: str
    status: str
    """``expired``, ``expiring`` (within the window) or ``active``, at the reference time."""
    days_left: float | None


@dataclass(frozen=True)
class Recovery:
    """A release's first failed evaluation at a stage and the first pass after it."""

    release: str
    stage: str
    first_failure: str
    passed: str | None
    seconds: float | None
    evaluations: int
    """Evaluations from the first failure up to and including the pass (or to date)."""


@dataclass
class Dashboard:
    filters: dict[str, str]
    evaluations: int
    releases: int
    decisions: dict[str, int]
    bucket: str
    timeline: list[StageSeries]
    controls: list[ControlRate]
    waivers: list[WaiverUse]
    reference_time: str | None
    expiring_days: int
    recoveries: list[Recovery]
    passed_first_time: int
    chain: ChainCheck
    undated: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    """Entries whose report could not be read (their waivers are missing from the table)."""

    @property
    def pass_rate(self) -> float | None:
        return self.decisions.get("pass", 0) / self.evaluations if self.evaluations else None

    @property
    def waivers_expiring(self) -> int:
        return sum(1 for w in self.waivers if w.status == "expiring")

    def recovery_histogram(self) -> list[tuple[str, int]]:
        counts = Counter(recovery_bin(r.seconds) for r in self.recoveries)
        labels = [label for label, _ in RECOVERY_BINS] + [NOT_PASSED]
        return [(label, counts.get(label, 0)) for label in labels]


def effective(entry: Entry) -> datetime | None:
    try:
        return parse_rfc3339(entry.record.effective_time)
    except (GatecheckError, OverflowError):  # year 1 with a positive offset leaves the range
        return None


def ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    """Known keys in their fixed order, then any others sorted."""
    present = set(keys)
    return [k for k in order if k in present] + sorted(present - set(order))


def bucket_kind(times: Sequence[datetime], wanted: str = "auto") -> str:
    if wanted != "auto":
        return wanted
    if not times:
        return "day"
    span = (max(times).date() - min(times).date()).days
    if span <= DAY_BUCKETS_UP_TO:
        return "day"
    return "week" if span // 7 < MAX_BUCKETS else "month"


def bucket_start(moment: datetime, kind: str) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday()) if kind == "week" else day


def next_bucket(start: datetime, kind: str) -> datetime:
    if kind == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start + timedelta(days=7 if kind == "week" else 1)


def bucket_label(start: datetime, kind: str) -> str:
    if kind == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m" if kind == "month" else "%Y-%m-%d")


def bucket_starts(dated: Sequence[datetime], kind: str) -> list[datetime]:
    """Every period from the first to the last; only those with entries past MAX_BUCKETS."""
    present = sorted({bucket_start(t, kind) for t in dated})
    starts = [present[0]]
    while starts[-1] < present[-1]:  # never steps past the last start: no year 10000
        if len(starts) >= MAX_BUCKETS:
            return present
        starts.append(next_bucket(starts[-1], kind))
    return starts


def timeline(entries: Sequence[Entry], kind: str) -> list[StageSeries]:
    """Per stage, the decision counts of every day (week, month) from the first to the last."""
    dated = [(t, e) for e in entries if (t := effective(e)) is not None]
    if not dated:
        return []
    starts = bucket_starts([t for t, _ in dated], kind)
    counts: dict[str, dict[datetime, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for moment, entry in dated:
        counts[entry.record.stage][bucket_start(moment, kind)][entry.record.decision] += 1
    series = []
    for stage in ordered(counts, STAGE_ORDER):
        # pass and fail always, so every stage's legend reads the same
        seen = {d for c in counts[stage].values() for d in c}
        decisions = ordered(seen | {"pass", "fail"}, DECISION_ORDER)
        buckets = [
            (bucket_label(s, kind), {d: counts[stage][s].get(d, 0) for d in decisions})
            for s in starts
        ]
        series.append(StageSeries(stage, buckets))
    return series


def control_rates(entries: Iterable[Entry]) -> list[ControlRate]:
    """Every control's failures over the evaluations it applied to, highest rate first."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        for control, status in entry.record.controls.items():
            tally[control][status] += 1
    rates = []
    for control, c in tally.items():
        evaluated = sum(n for status, n in c.items() if status != "not_applicable")
        rates.append(ControlRate(control, evaluated, c["fail"], c["waived"], c["warn"]))
    return sorted(rates, key=lambda r: (-(r.rate or 0.0), -r.failed, -r.evaluated, r.control))


def report_of(entry: Entry) -> dict[str, Any]:
    """The report inside the entry's report file (plain, DSSE or Sigstore); the signature is
    not checked here (`ledger verify --key` does that). GatecheckError when unreadable."""
    from gatecheck.engine.verification import _load_json, _sigstore_payload, check_statement
    from gatecheck.evidence.signing import dsse

    where = f"entry {entry.seq}"
    document = _load_json(entry.record.report, where)
    kind = entry.record.report_kind
    if kind == "json":
        if not isinstance(document, dict):
            raise GatecheckError(f"{where}: the report is not a JSON object")
        return document
    if kind == "dsse":
        envelope = dsse.Envelope.from_dict(document, name=where)
        payload_type, payload = envelope.payload_type, envelope.payload
    else:
        payload_type, payload = _sigstore_payload(document, where)
    return check_statement(payload_type, payload, name=where)[1]


def applied_waivers(report: dict[str, Any]) -> list[dict[str, Any]]:
    waivers = report.get("waivers")
    applied = waivers.get("applied") if isinstance(waivers, dict) else None
    return [w for w in applied or [] if isinstance(w, dict)]


def _scope_text(scope: Any) -> str:
    if not isinstance(scope, dict):
        return str(scope or "")
    return ", ".join(f"{k}={v}" for k, v in sorted(scope.items()) if v not in (None, ""))


def waiver_uses(
    uses: Iterable[tuple[Entry, dict[str, Any]]], reference: datetime | None, days: int
) -> list[WaiverUse]:
    """Each waiver applied in some entry, once, with its uses and its expiry status at
    ``reference`` (expiring: expires within ``days`` days after it)."""
    seen: dict[tuple[str, str, str, str], list[tuple[Entry, dict[str, Any]]]] = defaultdict(list)
    for entry, waiver in uses:
        key = (
            str(waiver.get("id") or ""),
            str(waiver.get("control") or ""),
            _scope_text(waiver.get("scope")),
            str(waiver.get("expires") or ""),
        )
        seen[key].append((entry, waiver))
    result = []
    for (wid, control, scope, expires), items in seen.items():
        waiver = items[-1][1]
        status, left = "active", None
        try:
            expiry = parse_rfc3339(expires)
        except GatecheckError:
            status = "unknown expiry"
        else:
            if reference is not None:
                left = (expiry - reference).total_seconds() / 86400
                status = "expired" if left <= 0 else "expiring" if left <= days else "active"
        latest = max(items, key=lambda item: (effective(item[0]) or EPOCH, item[0].seq))[0]
        result.append(
            WaiverUse(
                id=wid,
                control=control,
                scope=scope,
                approver=str(waiver.get("approver") or ""),
                granted=str(waiver.get("granted") or ""),
                expires=expires,
                uses=len(items),
                releases=sorted({e.record.release for e, _ in items}),
                last_used=latest.record.effective_time,
                status=status,
                days_left=left,
            )
        )
    return sorted(result, key=lambda w: (w.expires, w.id, w.control, w.scope))


def recoveries(entries: Iterable[Entry]) -> tuple[list[Recovery], int]:
    """Per release and stage, from the first failed evaluation to the first pass after it;
    and how many release-stage pairs passed without failing first."""
    runs: dict[tuple[str, str], list[tuple[datetime, int, Entry]]] = defaultdict(list)
    for entry in entries:
        moment = effective(entry)
        if moment is not None:
            runs[(entry.record.release, entry.record.stage)].append((moment, entry.seq, entry))
    found, clean = [], 0
    for (release, stage), items in runs.items():
        items.sort(key=lambda item: (item[0], item[1]))
        start = next((i for i, (_, _, e) in enumerate(items) if e.record.decision == "fail"), None)
        if start is None:
            clean += any(e.record.decision == "pass" for _, _, e in items)
            continue
        failed_at = items[start][0]
        after = items[start:]
        end = next((i for i, (_, _, e) in enumerate(after) if e.record.decision == "pass"), None)
        passed_at = after[end][0] if end is not None else None
        found.append(
            Recovery(
                release=release,
                stage=stage,
                first_failure=format_rfc3339(failed_at),
                passed=format_rfc3339(passed_at) if passed_at else None,
                seconds=(passed_at - failed_at).total_seconds() if passed_at else None,
                evaluations=(end + 1) if end is not None else len(after),
            )
        )
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    found.sort(key=lambda r: (r.release, order.get(r.stage, len(order)), r.stage))
    return found, clean


def recovery_bin(seconds: float | None) -> str:
    if seconds is None:
        return NOT_PASSED
    return next(label for label, limit in RECOVERY_BINS if seconds < limit)


def summarize(
    entries: Sequence[Entry],
    chain: ChainCheck,
    *,
    filters: dict[str, str] | None = None,
    reference: datetime | None = None,
    expiring_days: int = 30,
    bucket: str = "auto",
) -> Dashboard:
    """The dashboard of ``entries`` (already filtered); ``reference`` is the time waiver
    expiry is measured from (the caller passes --now or the ledger's last effective time)."""
    times = [t for e in entries if (t := effective(e)) is not None]
    kind = bucket_kind(times, bucket)
    uses, unreadable = [], []
    for entry in entries:
        try:
            report = report_of(entry)
        except GatecheckError:
            unreadable.append(entry.seq)
            continue
        uses += [(entry, w) for w in applied_waivers(report)]
    found, clean = recoveries(entries)
    decisions = Counter(e.record.decision for e in entries)
    return Dashboard(
        filters=dict(filters or {}),
        evaluations=len(entries),
        releases=len({e.record.release for e in entries}),
        decisions={d: decisions[d] for d in ordered(decisions, DECISION_ORDER)},
        bucket=kind,
        timeline=timeline(entries, kind),
        controls=control_rates(entries),
        waivers=waiver_uses(uses, reference, expiring_days),
        reference_time=format_rfc3339(reference) if reference else None,
        expiring_days=expiring_days,
        recoveries=found,
        passed_first_time=clean,
        chain=chain,
        undated=[e.seq for e in entries if effective(e) is None],
        unreadable=unreadable,
    )


def last_effective_time(entries: Iterable[Entry]) -> datetime | None:
    times = [t for e in entries if (t := effective(e)) is not None]
    return max(times) if times else None
