"""Lifecycle evidence: environment snapshots, segmentation tests, pipeline audit logs,
performance summaries, pentest summaries, migration dry-runs, deployment metrics, monitoring
configuration, runbooks, backup/restore tests, rollback tests and state snapshots.

The record types are in :mod:`gatecheck.evidence.records.lifecycle_models`; each reads plain
(JSON/YAML), as an in-toto Statement, or DSSE-signed, like the governance records.

Pipeline audit log hash chain
-----------------------------
Every event carries ``hash`` and ``prev_hash``. The canonical form of an event is the event
object exactly as written in the file (before any normalization), without its ``hash`` member,
serialized as JSON with object keys sorted by Unicode code point at every level, no
whitespace between tokens, non-ASCII characters written as UTF-8 (not ``\\u`` escapes), and
numbers as Python's ``json`` module writes them. For events whose values are strings,
integers, booleans and null this is byte-identical to RFC 8785 (JCS) output; write other
numbers as strings if another tool must reproduce the hash. Then:

- ``hash`` = lowercase hex sha256 of the canonical form, so ``prev_hash`` is covered;
- ``prev_hash`` of the first event is null (or 64 zeros); of every later event, the previous
  event's ``hash``.

Editing an event breaks its own ``hash``; removing, inserting or reordering events breaks the
next event's ``prev_hash``. The parser records ``chain_valid``, ``chain_broken_at`` (index of
the first event that does not verify) and ``chain_error`` as facts for GC-PIPE-004, and
``head_hash`` (the last event's hash) so the log can be compared with an anchored copy. The
chain proves integrity only relative to its head: anchoring or signing the log (DSSE) is what
stops a rewrite of the whole chain.

k6 end-of-test summaries
------------------------
``k6 run --summary-export=FILE`` writes the legacy summary (per metric a flat object:
``metrics.http_req_duration["p(95)"]``, ``metrics.http_req_failed.value``, thresholds as
``{expression: failed}``); a ``handleSummary()`` that returns ``JSON.stringify(data)`` writes
the newer shape (``metrics.<name>.values["p(95)"]``, ``values.rate``, thresholds as
``{expression: {ok}}``, plus ``options`` and ``state``). Both become a performance summary:
p95/p99 of ``http_req_duration`` in milliseconds (k6 always reports time trends in ms in JSON),
the ``http_req_failed`` rate as the error rate, and the count of ``http_reqs``. k6 knows
nothing of baselines, services or environments: those come from the evidence entry's labels
(``service``, ``environment``), and a baseline run is a second summary added with the label
``role=baseline``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.records.governance import GatecheckRecordParser, record_formats
from gatecheck.evidence.records.intoto import ENVELOPE, Sniffed
from gatecheck.evidence.records.lifecycle_models import (
    BackupRestoreTest,
    DeploymentMetrics,
    EnvironmentSnapshot,
    MigrationDryRun,
    MonitoringConfig,
    PentestSummary,
    PerformanceSummary,
    PipelineAuditLog,
    RollbackTest,
    Runbook,
    SegmentationTest,
    StateSnapshot,
)
from gatecheck.evidence.records.models import Record

Facts = dict[str, Any]


def _record_base(sniffed: Sniffed) -> str:
    """Pointer prefix of the record in the original file (the base64 payload for DSSE)."""
    return "/payload" if sniffed.form == ENVELOPE else sniffed.pointer


class EnvironmentSnapshotParser(GatecheckRecordParser):
    family = "environment-snapshot"
    formats = record_formats("gatecheck-environment-snapshot")
    record = EnvironmentSnapshot


class SegmentationTestParser(GatecheckRecordParser):
    family = "segmentation-test"
    formats = record_formats("gatecheck-segmentation-test")
    record = SegmentationTest


class PentestSummaryParser(GatecheckRecordParser):
    family = "pentest-summary"
    formats = record_formats("gatecheck-pentest-summary")
    record = PentestSummary


class MigrationDryRunParser(GatecheckRecordParser):
    family = "migration-dry-run"
    formats = record_formats("gatecheck-migration-dry-run")
    record = MigrationDryRun


class DeploymentMetricsParser(GatecheckRecordParser):
    family = "deployment-metrics"
    formats = record_formats("gatecheck-deployment-metrics")
    record = DeploymentMetrics


class MonitoringConfigParser(GatecheckRecordParser):
    family = "monitoring-config"
    formats = record_formats("gatecheck-monitoring-config")
    record = MonitoringConfig


class RunbookParser(GatecheckRecordParser):
    family = "runbook"
    formats = record_formats("gatecheck-runbook")
    record = Runbook


class BackupRestoreTestParser(GatecheckRecordParser):
    family = "backup-restore-test"
    formats = record_formats("gatecheck-backup-restore-test")
    record = BackupRestoreTest


class RollbackTestParser(GatecheckRecordParser):
    family = "rollback-test"
    formats = record_formats("gatecheck-rollback-test")
    record = RollbackTest


class StateSnapshotParser(GatecheckRecordParser):
    family = "state-snapshot"
    formats = record_formats("gatecheck-state-snapshot")
    record = StateSnapshot


# -- pipeline audit log ------------------------------------------------------------------------

GENESIS_PREV_HASHES = (None, "0" * 64)
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def canonical_event(event: dict[str, Any]) -> bytes:
    """The bytes an audit event's ``hash`` is computed over (see the module docstring)."""
    body = {key: value for key, value in event.items() if key != "hash"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_event(event)).hexdigest()


def chain_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``events`` with ``prev_hash`` and ``hash`` set: how a pipeline writes its log."""
    chained: list[dict[str, Any]] = []
    previous: str | None = None
    for event in events:
        linked = {k: v for k, v in event.items() if k not in ("hash", "prev_hash")}
        linked["prev_hash"] = previous
        linked["hash"] = event_hash(linked)
        previous = linked["hash"]
        chained.append(linked)
    return chained


@dataclass(frozen=True)
class ChainCheck:
    valid: bool
    broken_at: int | None = None
    """Index of the first event that does not verify."""
    reason: str | None = None
    head: str | None = None
    """``hash`` of the last event of a valid chain."""


def verify_chain(events: list[dict[str, Any]]) -> ChainCheck:
    """Check the hash chain over the events as written in the file."""
    previous: str | None = None
    for i, event in enumerate(events):
        prev_hash = event.get("prev_hash")
        if i == 0 and prev_hash not in GENESIS_PREV_HASHES:
            return ChainCheck(
                False,
                0,
                "the first event's prev_hash must be null or 64 zeros (a log that "
                "starts mid-chain has lost its earlier events)",
            )
        if i > 0 and prev_hash != previous:
            return ChainCheck(
                False,
                i,
                f"event {i}'s prev_hash is not the hash of event {i - 1} "
                "(an event was removed, inserted or reordered)",
            )
        recorded = event.get("hash")
        if not isinstance(recorded, str) or not _SHA256_HEX.match(recorded):
            return ChainCheck(False, i, f"event {i} has no sha256 hash (64 lowercase hex)")
        computed = event_hash(event)
        if recorded != computed:
            return ChainCheck(
                False, i, f"event {i}'s hash does not match its content (computed {computed})"
            )
        previous = recorded
    return ChainCheck(True, head=previous)


def _detail(details: dict[str, Any] | None, key: str) -> str | None:
    value = (details or {}).get(key)
    return value if isinstance(value, str) else None


class PipelineAuditLogParser(GatecheckRecordParser):
    family = "pipeline-audit-log"
    formats = record_formats("gatecheck-pipeline-audit-log")
    record = PipelineAuditLog

    def _facts(self, record: Record, pointer: str, sniffed: Sniffed, signature: Facts) -> Facts:
        assert isinstance(record, PipelineAuditLog)
        base = _record_base(sniffed)
        # The chain is verified over the events as written: normalizing first (times to UTC)
        # would change the bytes that were hashed.
        check = verify_chain(sniffed.value["events"])
        return {
            "pipeline": record.pipeline,
            "run_id": record.run_id,
            "release": record.release.model_dump() if record.release else None,
            "event_count": len(record.events),
            "events": [
                {
                    "index": i,
                    "actor": event.actor,
                    "time": event.time,
                    "action": event.action,
                    # Which change and environment a deployment event names (GC-CHG-006).
                    "change_id": _detail(event.details, "change_id"),
                    "environment": _detail(event.details, "environment"),
                    "pointer": f"{base}/events/{i}",
                }
                for i, event in enumerate(record.events)
            ],
            "hash_algorithm": "sha256",
            "chain_valid": check.valid,
            "chain_broken_at": check.broken_at,
            "chain_error": check.reason,
            "head_hash": check.head,
            "pointer": base,
            **signature,
        }


# -- performance summaries ---------------------------------------------------------------------

ROLES = ("current", "baseline")


def _role(name: str, labels: dict[str, str]) -> str:
    role = labels.get("role") or "current"
    if role not in ROLES:
        raise EvidenceError(
            f"{name}: label role={role!r} is not one of {', '.join(ROLES)} "
            "(role=baseline marks the run the current one is compared to)"
        )
    return role


class PerformanceSummaryParser(GatecheckRecordParser):
    family = "performance-summary"
    formats = record_formats("gatecheck-performance-summary")
    record = PerformanceSummary

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        facts = super().parse(doc, fmt, ctx)
        assert isinstance(facts, dict)
        base = facts["pointer"]
        keys = ("latency_p95_ms", "latency_p99_ms", "error_rate")
        # Inside a DSSE envelope the record is base64 in /payload: cite the payload itself.
        signed = fmt.endswith("-dsse")
        facts["pointers"] = {key: base if signed else f"{base}/{key}" for key in keys}
        facts["role"] = _role(doc.name, ctx.labels)
        facts["thresholds_failed"] = []
        return facts


K6_EXPORT = "k6-summary-export"
K6_HANDLE_SUMMARY = "k6-handle-summary"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _k6_shape(value: Any) -> str | None:
    if not isinstance(value, dict) or "kind" in value:
        return None
    metrics, root_group = value.get("metrics"), value.get("root_group")
    if not isinstance(metrics, dict) or not isinstance(root_group, dict):
        return None
    nested = any(
        isinstance(m, dict) and isinstance(m.get("values"), dict) for m in metrics.values()
    )
    if nested or isinstance(value.get("state"), dict):
        return K6_HANDLE_SUMMARY
    return K6_EXPORT


class _K6Reader:
    def __init__(self, doc: Document, fmt: str, metrics: dict[str, Any]) -> None:
        self.doc, self.fmt, self.metrics = doc, fmt, metrics

    def values(self, metric: str) -> tuple[dict[str, Any] | None, str]:
        """The metric's statistics and their pointer prefix, or None when k6 did not report
        the metric (e.g. a test that made no HTTP request)."""
        entry = self.metrics.get(metric)
        pointer = f"/metrics/{_escape(metric)}"
        if entry is None:
            return None, pointer
        if not isinstance(entry, dict):
            raise EvidenceError(f"{self.doc.name}: {pointer} is not an object")
        if self.fmt == K6_HANDLE_SUMMARY:
            values = entry.get("values")
            if not isinstance(values, dict):
                raise EvidenceError(f"{self.doc.name}: {pointer}/values is not an object")
            return values, f"{pointer}/values"
        return entry, pointer

    def number(self, metric: str, *stats: str) -> tuple[float | None, str | None]:
        values, prefix = self.values(metric)
        if values is None:
            return None, None
        for stat in stats:
            if stat not in values:
                continue
            value = values[stat]
            pointer = f"{prefix}/{_escape(stat)}"
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EvidenceError(f"{self.doc.name}: {pointer} is not a number ({value!r})")
            if not math.isfinite(value) or value < 0:
                raise EvidenceError(f"{self.doc.name}: {pointer} is not a finite count or time")
            return float(value), pointer
        return None, None

    def failed_thresholds(self) -> list[Facts]:
        failed = []
        for name, entry in sorted(self.metrics.items()):
            thresholds = entry.get("thresholds") if isinstance(entry, dict) else None
            if thresholds is None:
                continue
            base = f"/metrics/{_escape(name)}/thresholds"
            if not isinstance(thresholds, dict):
                raise EvidenceError(f"{self.doc.name}: {base} is not an object")
            for expression, state in sorted(thresholds.items()):
                pointer = f"{base}/{_escape(expression)}"
                # Legacy export: {expression: true when it failed}; handleSummary: {ok: bool}.
                if self.fmt == K6_HANDLE_SUMMARY:
                    ok = state.get("ok") if isinstance(state, dict) else None
                    crossed = None if not isinstance(ok, bool) else not ok
                else:
                    crossed = state if isinstance(state, bool) else None
                if crossed is None:
                    raise EvidenceError(f"{self.doc.name}: {pointer} is not a threshold result")
                if crossed:
                    failed.append({"metric": name, "threshold": expression, "pointer": pointer})
        return failed


class K6SummaryParser(EvidenceParser):
    family = "performance-summary"
    formats = (K6_EXPORT, K6_HANDLE_SUMMARY)

    def detect(self, doc: Document) -> str | None:
        return _k6_shape(doc.json_object())

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> Facts:
        value = doc.json
        shape = _k6_shape(value)
        if shape is None:
            raise EvidenceError(
                f"{doc.name}: not a k6 summary (needs objects metrics and root_group)"
            )
        if shape != fmt:
            raise EvidenceError(f"{doc.name}: a {shape} file, not {fmt}")
        reader = _K6Reader(doc, fmt, value["metrics"])
        p95, p95_at = reader.number("http_req_duration", "p(95)")
        p99, p99_at = reader.number("http_req_duration", "p(99)")
        rate_key = "rate" if fmt == K6_HANDLE_SUMMARY else "value"
        error_rate, error_at = reader.number("http_req_failed", rate_key)
        if error_rate is not None and error_rate > 1:
            raise EvidenceError(f"{doc.name}: {error_at} is a rate above 1 ({error_rate})")
        requests, _ = reader.number("http_reqs", "count")
        duration_ms = None
        state = value.get("state")
        if isinstance(state, dict) and isinstance(state.get("testRunDurationMs"), (int, float)):
            duration_ms = float(state["testRunDurationMs"])
        return {
            "service": ctx.labels.get("service") or None,
            "environment": ctx.labels.get("environment") or None,
            "performed_at": None,
            "requests": int(requests) if requests is not None else None,
            "latency_p95_ms": p95,
            "latency_p99_ms": p99,
            "error_rate": error_rate,
            "baseline": None,
            "role": _role(doc.name, ctx.labels),
            "test_duration_ms": duration_ms,
            "thresholds_failed": reader.failed_thresholds(),
            "pointers": {
                "latency_p95_ms": p95_at,
                "latency_p99_ms": p99_at,
                "error_rate": error_at,
            },
            "pointer": "/metrics",
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("k6")
