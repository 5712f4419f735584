"""gatecheck record types for the release lifecycle: environments, pipeline, testing,
post-deployment verification, rollback and recovery.

They follow the conventions of :mod:`gatecheck.evidence.records.models` (``apiVersion``
``gatecheck.dev/v1`` + ``kind``, unknown fields refused, RFC 3339 times with a timezone,
normalized to UTC ``...Z``). Values a control judges (results, statuses, severities, kinds)
stay loose strings so a wrong value reaches the control that names it; values that cannot be
judged at all (a negative duration, an error rate above 1) are refused at parse time.

Field names never use ``source``, ``tool``, ``labels`` or ``pointer``: gatecheck adds those
keys around every evidence item.

Importing this module adds its types to ``records.RECORD_TYPES`` and ``records.KINDS`` (the
last line of ``records.py`` imports it), so ``gatecheck schema`` and in-toto predicate types
cover them too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool

from gatecheck.evidence.records import models as records
from gatecheck.evidence.records.models import (
    API_VERSION,
    ApiVersion,
    Record,
    ReleaseRef,
    Timestamp,
    TimeWindow,
)

_RATE: dict[str, Any] = {"ge": 0.0, "le": 1.0}

# --- environments ---------------------------------------------------------------------------


class IacSource(Record):
    """Where an environment's infrastructure code lives, pinned to one commit."""

    repo: str = Field(min_length=1, description="Repository URI of the infrastructure code.")
    commit: str = Field(
        min_length=1, description="Full commit id the environment was applied from."
    )
    path: str | None = Field(None, description="Directory or module inside the repository.")


class EnvironmentSnapshot(Record):
    """An environment's state at one moment, as provisioning or inventory tooling reports it.

    The environment's own kind (permanent or ephemeral) is ``type`` in the file, because
    ``kind`` names the record type; policies see it as ``kind``.
    """

    api_version: ApiVersion = API_VERSION
    kind: Literal["EnvironmentSnapshot"] = "EnvironmentSnapshot"
    environment: str = Field(min_length=1, description="Environment name, e.g. staging.")
    environment_type: str = Field(alias="type", description="permanent or ephemeral.")
    ttl_hours: float | None = Field(
        None, ge=0, description="Time to live of an ephemeral environment, in hours."
    )
    parity: dict[str, str | dict[str, str]] = Field(
        default_factory=dict,
        description="What must match across environments: runtime, base_image, and "
        "iac_modules (module name -> version), ...",
    )
    iac: IacSource | None = Field(None, description="Infrastructure-as-code source.")
    drift_detected: StrictBool | None = Field(
        None, description="Whether the last drift check found changes made outside the IaC."
    )
    created_at: Timestamp | None = Field(None, description="When the environment was created.")
    captured_at: Timestamp | None = Field(None, description="When this snapshot was taken.")

    def facts(self) -> dict[str, Any]:
        facts = self.model_dump(
            mode="json", by_alias=True, exclude={"api_version", "kind", "environment_type"}
        )
        facts["kind"] = self.environment_type
        return facts


class SegmentationCheck(Record):
    """One probe: can ``from`` reach ``to`` on ``port``, and should it?"""

    from_zone: str = Field(alias="from", min_length=1, description="Source network zone or host.")
    to_zone: str = Field(alias="to", min_length=1, description="Destination zone or host.")
    port: int | None = Field(None, ge=0, le=65535)
    protocol: str | None = None
    expected: str = Field(description="allow or deny.")
    observed: str = Field(description="allow or deny: what the probe saw.")


class SegmentationTest(Record):
    """A network segmentation test of one environment."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["SegmentationTest"] = "SegmentationTest"
    environment: str = Field(min_length=1)
    performed_at: Timestamp
    result: str = Field(description="passed or failed.")
    performed_by: str | None = Field(None, description="Team, vendor or job that ran the test.")
    checks: list[SegmentationCheck] = Field(default_factory=list)


# --- deployment pipeline --------------------------------------------------------------------


class AuditEvent(Record):
    """One pipeline action. ``hash`` is sha256 over the event's canonical form (see
    :mod:`gatecheck.evidence.records.lifecycle`), ``prev_hash`` the previous event's ``hash``."""

    actor: str | None = Field(None, description="Identity that performed the action.")
    time: Timestamp | None = Field(None, description="When the action happened.")
    action: str | None = Field(None, description="What was done, e.g. deploy, approve.")
    details: dict[str, Any] | None = None
    prev_hash: str | None = Field(None, description="hash of the previous event; null first.")
    hash: str | None = Field(None, description="sha256 hex of this event's canonical form.")


class PipelineAuditLog(Record):
    """The actions of one pipeline run, hash-chained so that removing, reordering or editing
    an event breaks the chain."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["PipelineAuditLog"] = "PipelineAuditLog"
    pipeline: str | None = Field(None, description="Pipeline name or URI.")
    run_id: str | None = None
    release: ReleaseRef | None = Field(None, description="The release this run delivers.")
    events: list[AuditEvent]


# --- testing and validation -----------------------------------------------------------------


class PerformanceBaseline(Record):
    latency_p95_ms: float | None = Field(None, ge=0)
    latency_p99_ms: float | None = Field(None, ge=0)
    error_rate: float | None = Field(None, **_RATE)
    reference: str | None = Field(None, description="Which run or release the baseline is.")
    measured_at: Timestamp | None = None


class PerformanceSummary(Record):
    """A load or performance test result, with the baseline it is compared to."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["PerformanceSummary"] = "PerformanceSummary"
    service: str | None = None
    environment: str | None = None
    performed_at: Timestamp | None = None
    requests: int | None = Field(None, ge=0)
    latency_p95_ms: float | None = Field(None, ge=0)
    latency_p99_ms: float | None = Field(None, ge=0)
    error_rate: float | None = Field(None, **_RATE, description="Failed requests / requests.")
    baseline: PerformanceBaseline | None = None


class PentestScope(Record):
    environment: str = Field(min_length=1, description="Environment tested, e.g. staging.")
    targets: list[str] = Field(default_factory=list, description="Hosts, URLs or services.")


class PentestFinding(Record):
    id: str | None = None
    title: str | None = None
    severity: str = Field(description="critical, high, medium, low or none.")
    status: str = Field(description="open, fixed or accepted.")


class PentestSummary(Record):
    """The summary of a penetration test and its review."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["PentestSummary"] = "PentestSummary"
    scope: PentestScope
    performed_at: Timestamp = Field(description="When the test ended.")
    performed_by: str | None = Field(None, description="Tester or vendor.")
    findings: list[PentestFinding] | None = Field(
        None,
        description="Every finding; `[]` when the test found none. Absent means unknown, "
        "which GC-TST-004 fails.",
    )
    reviewer: str | None = Field(None, description="Who reviewed and signed off the results.")
    reviewed_at: Timestamp | None = None
    report_ref: str | None = Field(None, description="Where the full report is kept.")


class TableChecksum(Record):
    name: str = Field(min_length=1)
    source_checksum: str | None = None
    target_checksum: str | None = None


class MigrationDryRun(Record):
    """A data migration rehearsed against a copy of the data, with before/after checksums."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["MigrationDryRun"] = "MigrationDryRun"
    release: ReleaseRef | None = Field(None, description="The release whose migrations ran.")
    migrations: list[str] = Field(default_factory=list, description="Migration ids applied.")
    environment: str | None = None
    performed_at: Timestamp
    result: str = Field(description="passed or failed.")
    source_checksum: str | None = Field(None, description="Checksum of the data before.")
    target_checksum: str | None = Field(None, description="Checksum of the migrated data.")
    tables: list[TableChecksum] = Field(default_factory=list)


# --- post-deployment verification -----------------------------------------------------------


class MetricsBaseline(Record):
    error_rate: float | None = Field(None, **_RATE)
    latency_p95_ms: float | None = Field(None, ge=0)
    latency_p99_ms: float | None = Field(None, ge=0)
    window: TimeWindow | None = None


class DeploymentMetrics(Record):
    """What monitoring observed after the deployment, and the baseline before it."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["DeploymentMetrics"] = "DeploymentMetrics"
    service: str | None = None
    environment: str | None = None
    release: ReleaseRef | None = None
    provider: str | None = Field(None, description="Monitoring system and query.")
    window: TimeWindow = Field(description="The observation window after the deployment.")
    requests: int | None = Field(None, ge=0)
    error_rate: float | None = Field(None, **_RATE)
    latency_p95_ms: float | None = Field(None, ge=0)
    latency_p99_ms: float | None = Field(None, ge=0)
    baseline: MetricsBaseline | None = None


class AlertRule(Record):
    name: str = Field(min_length=1)
    kind: str = Field(description="alert, anomaly, slo, ...")
    enabled: StrictBool = True
    expression: str | None = None
    severity: str | None = None
    notify: list[str] = Field(default_factory=list, description="Where alerts go.")


class MonitoringConfig(Record):
    """Alerting that watches a service after a deployment."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["MonitoringConfig"] = "MonitoringConfig"
    service: str = Field(min_length=1)
    environment: str | None = None
    rules: list[AlertRule] = Field(default_factory=list)
    first_hour_coverage: StrictBool | None = Field(
        None, description="The rules are active from the deployment on, through its first hour."
    )


# --- rollback and recovery ------------------------------------------------------------------


class Runbook(Record):
    """A rollback runbook for one deployment type in one environment."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Runbook"] = "Runbook"
    title: str | None = None
    service: str | None = None
    deployment_type: str = Field(
        min_length=1, description="blue-green, canary, rolling, recreate, or * for any."
    )
    environment: str = Field(min_length=1)
    reviewed_at: Timestamp | None = None
    reviewer: str | None = None
    location: str | None = Field(None, description="Where the runbook is kept (URL).")


class BackupRestoreTest(Record):
    """A restore of a backup into a scratch environment, timed and verified."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["BackupRestoreTest"] = "BackupRestoreTest"
    dataset: str | None = None
    environment: str | None = None
    backup_id: str | None = None
    performed_at: Timestamp
    checksum_match: StrictBool | None = Field(
        None, description="The restored data's checksum equals the backup's."
    )
    restore_seconds: float | None = Field(None, ge=0, description="Measured restore time.")
    rto_seconds: float | None = Field(None, ge=0, description="Recovery time objective.")


class RollbackTest(Record):
    """A rollback rehearsal."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["RollbackTest"] = "RollbackTest"
    release: ReleaseRef | None = Field(None, description="The release whose rollback was tried.")
    environment: str = Field(min_length=1)
    performed_at: Timestamp
    result: str = Field(description="passed or failed.")
    from_version: str | None = None
    to_version: str | None = None
    duration_seconds: float | None = Field(None, ge=0)


class StateSnapshot(Record):
    """Configuration and data state preserved before a deployment."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["StateSnapshot"] = "StateSnapshot"
    release: ReleaseRef | None = None
    environment: str | None = None
    config_snapshot_id: str | None = None
    data_snapshot_id: str | None = None
    taken_at: Timestamp | None = None


RECORD_TYPES: dict[str, type[Record]] = {
    "environment-snapshot": EnvironmentSnapshot,
    "segmentation-test": SegmentationTest,
    "pipeline-audit-log": PipelineAuditLog,
    "performance-summary": PerformanceSummary,
    "pentest-summary": PentestSummary,
    "migration-dry-run": MigrationDryRun,
    "deployment-metrics": DeploymentMetrics,
    "monitoring-config": MonitoringConfig,
    "runbook": Runbook,
    "backup-restore-test": BackupRestoreTest,
    "rollback-test": RollbackTest,
    "state-snapshot": StateSnapshot,
}
"""The lifecycle record types by schema name (``gatecheck schema <name>``)."""

records.register(RECORD_TYPES)
