"""gatecheck record types for release operations: deployment locks, stabilization reviews and
the rollback history of a service (GC-PIPE-005, GC-VER-004, GC-RBK-005).

They follow :mod:`gatecheck.evidence.records.models`: ``apiVersion`` ``gatecheck.dev/v1`` +
``kind``, unknown fields refused, RFC 3339 times normalized to UTC. Fields a control judges
are optional here, so that their absence reaches the control (which fails on it) instead of
being refused with no control to name.

Importing this module adds its types to ``records.RECORD_TYPES`` and ``records.KINDS``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gatecheck.evidence.records import models as records
from gatecheck.evidence.records.models import (
    API_VERSION,
    ApiVersion,
    Record,
    ReleaseRef,
    Timestamp,
    TimeWindow,
)

# --- deployment locks (GC-PIPE-005) -----------------------------------------------------------


class LockHolder(Record):
    """The pipeline run holding a lock."""

    run_id: str | None = Field(None, description="Pipeline run id, as its audit log names it.")
    pipeline: str | None = Field(None, description="Pipeline name or URI.")
    release: ReleaseRef | None = Field(None, description="The release the run deploys.")


class DeploymentLock(Record):
    """A lock on a deployment target, as the lock service (or the deployment tool) recorded it."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["DeploymentLock"] = "DeploymentLock"
    environment: str = Field(min_length=1, description="The environment the lock guards.")
    holder: LockHolder | None = None
    acquired_at: Timestamp | None = None
    expires_at: Timestamp | None = Field(None, description="When the lock lapses if not released.")
    released_at: Timestamp | None = Field(None, description="When the holder released it.")


class DeploymentLockList(Record):
    """Every lock the lock service holds or held on an environment over a period: the evidence
    that no other deployment overlapped this one."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["DeploymentLockList"] = "DeploymentLockList"
    locks: list[DeploymentLock]


# --- stabilization review (GC-VER-004) --------------------------------------------------------


class Retrospective(Record):
    scheduled_at: Timestamp | None = Field(None, description="When the retrospective is held.")
    reference: str | None = Field(None, description="Calendar entry or meeting notes.")


class StabilizationReview(Record):
    """The review held once a release has run through its stabilization period."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["StabilizationReview"] = "StabilizationReview"
    release: ReleaseRef | None = Field(None, description="The release that was reviewed.")
    service: str | None = None
    environment: str | None = None
    deployed_at: Timestamp | None = Field(None, description="When the release was deployed.")
    reviewed_at: Timestamp | None = None
    reviewer: str | None = None
    reviewed: list[str] = Field(
        default_factory=list,
        description="What was reviewed: dashboards, support-tickets (user feedback), error-logs.",
    )
    findings: str | None = Field(None, description="What the review found.")
    retrospective: Retrospective | None = None


# --- rollback history (GC-RBK-005) ------------------------------------------------------------


class IncidentNotification(Record):
    reference: str | None = Field(None, description="Incident or status-page notification id.")
    notified_at: Timestamp | None = None


class RootCause(Record):
    reference: str | None = Field(None, description="Where the root-cause analysis is kept.")
    completed_at: Timestamp | None = None
    changed: list[str] = Field(
        default_factory=list,
        description="Checklists or controls the analysis changed (e.g. GC-TST-003).",
    )


class Rollback(Record):
    """One rollback of a release of the service."""

    version: str | None = Field(None, description="The version that was rolled back.")
    environment: str | None = None
    rolled_back_at: Timestamp | None = None
    reason: str | None = None
    incident_notification: IncidentNotification | None = None
    root_cause: RootCause | None = None


class RollbackHistory(Record):
    """Every rollback of one service over a period, from the deployment system of record. An
    empty list over a period that covers the look-back is the evidence of no rollback."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["RollbackHistory"] = "RollbackHistory"
    service: str = Field(min_length=1)
    period: TimeWindow | None = Field(None, description="The period the history is complete for.")
    # Required, even when empty: a history that leaves the list out says nothing.
    rollbacks: list[Rollback] = Field(description="Every rollback in the period; [] for none.")


RECORD_TYPES: dict[str, type[Record]] = {
    "deployment-lock": DeploymentLock,
    "deployment-lock-list": DeploymentLockList,
    "stabilization-review": StabilizationReview,
    "rollback-history": RollbackHistory,
}
"""The operations record types by schema name (``gatecheck schema <name>``)."""

records.register(RECORD_TYPES)
