"""Operations evidence: deployment locks, stabilization reviews and rollback histories.

The record types are in :mod:`gatecheck.evidence.records.operations_models`; each reads plain
(JSON/YAML), as an in-toto Statement, or DSSE-signed, like the governance records. A file
holding several locks (``DeploymentLockList`` or a bare list) gives one fact per lock.
"""

from __future__ import annotations

from gatecheck.evidence.records.governance import GatecheckRecordParser, record_formats
from gatecheck.evidence.records.operations_models import (
    DeploymentLock,
    DeploymentLockList,
    RollbackHistory,
    StabilizationReview,
)


class DeploymentLockParser(GatecheckRecordParser):
    family = "deployment-lock"
    formats = record_formats("gatecheck-deployment-lock")
    record = DeploymentLock
    container = (DeploymentLockList, "locks")


class StabilizationReviewParser(GatecheckRecordParser):
    family = "stabilization-review"
    formats = record_formats("gatecheck-stabilization-review")
    record = StabilizationReview


class RollbackHistoryParser(GatecheckRecordParser):
    family = "rollback-history"
    formats = record_formats("gatecheck-rollback-history")
    record = RollbackHistory
