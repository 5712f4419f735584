"""gatecheck's own record types: pydantic models with published JSON Schemas (`gatecheck
schema TYPE`), read from JSON or YAML and told apart by ``apiVersion`` + ``kind``.

Fields a control judges (class, digests, versions, statuses, decisions) are deliberately loose
strings: a wrong value must reach the policy and fail the control that names it, not be
refused at parse time with no control to point at. Unknown fields are refused so that typos
never pass silently, and times must be RFC 3339 with a timezone (they are normalized to UTC
``...Z``) because a policy cannot compare a time it cannot parse.

Facts never use the keys the framework adds around them (``source``, ``tool``, ``labels``).

Data clones are their own kind (``DataClone``) rather than part of an environment snapshot:
a clone is an event written by the data-provisioning job when it copies a dataset, while an
environment snapshot describes an environment's state at one moment and is written by other
tooling at other times. GC-ENV-001 joins clones to masking attestations by dataset, source
and target environment (and ``clone_id`` when the attestation names one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from gatecheck.errors import GatecheckError
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

API_VERSION = "gatecheck.dev/v1"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _timestamp(value: str) -> str:
    try:
        return format_rfc3339(parse_rfc3339(value))
    except GatecheckError as exc:
        raise ValueError(str(exc)) from None


def _date_or_timestamp(value: str) -> str:
    # A bare date means the start of that day in UTC: the earliest reading, so a due date is
    # never stretched by the timezone of whoever wrote it.
    if _DATE_RE.match(value.strip()):
        try:
            day = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
        return format_rfc3339(day)
    return _timestamp(value)


Timestamp = Annotated[
    str,
    AfterValidator(_timestamp),
    Field(json_schema_extra={"format": "date-time"}),
]
"""RFC 3339 time with a timezone; stored as UTC ``YYYY-MM-DDTHH:MM:SSZ``."""

DueTime = Annotated[
    str,
    AfterValidator(_date_or_timestamp),
    Field(json_schema_extra={"anyOf": [{"format": "date-time"}, {"format": "date"}]}),
]
"""RFC 3339 time, or a date (``YYYY-MM-DD``, read as 00:00 UTC that day)."""

ApiVersion = Annotated[
    str,
    Field(
        alias="apiVersion", pattern=r"^gatecheck\.dev/v1$", description="Always gatecheck.dev/v1."
    ),
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def facts(self) -> dict[str, Any]:
        """Plain JSON for the policy input: wire names (``class``, ``from``), without
        ``apiVersion``/``kind``. Every declared field is present, null when the file does not
        give it: an absent value has this one representation in the facts (the published
        facts schema, ``gatecheck schema --facts``, requires every field), so a Rego test
        fixture that leaves a key out is one no parser produces. Policies still read values
        through helpers that treat a missing key and null alike (``lib.missing``)."""
        return self.model_dump(mode="json", by_alias=True, exclude={"api_version", "kind"})


class AuditLogging(Record):
    """Attestation that a component writes an audit log of access to regulated data."""

    enabled: StrictBool = Field(description="Audit logging is switched on for this component.")
    attested_by: str | None = Field(None, description="Who attests it (identity).")
    attested_at: Timestamp | None = None
    reference: str | None = Field(
        None, description="Where the logging configuration or its review can be found."
    )


class Artifact(Record):
    name: str = Field(description="Artifact name, e.g. an image repository or package name.")
    version: str | None = Field(None, description="Release version of the artifact (SemVer).")
    digest: str | None = Field(
        None, description="Content digest, `sha256:<64 hex>` or `sha512:<128 hex>` (npm)."
    )
    ci_id: str | None = Field(None, description="CMDB configuration item id.")
    regulated: list[str] = Field(
        default_factory=list, description="Regulated data tags: pii, pci, phi, sox."
    )
    audit_logging: AuditLogging | None = Field(
        None, description="Audit-logging attestation; required for regulated components."
    )


class Service(Record):
    name: str | None = None
    availability: str | None = Field(None, description="`high`, `standard` or `low`.")
    tier: int | None = Field(None, description="Criticality tier; 0 and 1 are high availability.")
    rto_seconds: float | None = Field(
        None, ge=0, description="Recovery time objective a restore must meet (GC-RBK-002)."
    )


class RollbackCriteria(Record):
    error_rate: float | None = Field(None, description="Maximum error rate (0..1) before rollback.")
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    data_consistency_check: str | None = Field(
        None, description="How data consistency is verified after a data migration."
    )


class Deployment(Record):
    strategy: str | None = Field(None, description="blue-green, canary, rolling, recreate.")
    initiator: str | None = Field(None, description="Identity that starts the deployment.")
    initiator_roles: list[str] = Field(default_factory=list)
    environment: str | None = None


class Snapshots(Record):
    """State preserved before deployment, so a rollback can restore it (GC-RBK-004)."""

    config_snapshot_id: str | None = Field(None, description="Configuration snapshot id.")
    data_snapshot_id: str | None = Field(None, description="Database/data snapshot id.")
    taken_at: Timestamp | None = None


class IncludedChange(Record):
    """A change (pull request, merge request, commit) the release includes."""

    id: str = Field(min_length=1, description="Change id, e.g. a pull request number or URL.")
    title: str | None = None
    merged_at: Timestamp | None = Field(None, description="When it was merged.")
    author: str | None = None


class ReleaseManifest(Record):
    """What is being released, and the plan around it."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["ReleaseManifest"] = "ReleaseManifest"
    name: str = Field(min_length=1, description="Release (application or service) name.")
    version: str = Field(min_length=1, description="Release version.")
    release_class: str | None = Field(
        None, alias="class", description="standard, major or emergency."
    )
    risk: str | None = Field(None, description="low, medium or high.")
    change_id: str | None = Field(None, description="Change record id this release belongs to.")
    source_repository: str | None = Field(
        None, description="Source repository URI the artifacts are built from."
    )
    artifacts: list[Artifact] = Field(default_factory=list)
    service: Service | None = None
    deployment: Deployment | None = None
    rollback: RollbackCriteria | None = None
    health_checks: list[str] = Field(default_factory=list)
    monitors: list[str] = Field(
        default_factory=list, description="Monitors/alert rules watching the service."
    )
    data_migration: bool = False
    snapshots: Snapshots | None = None
    feature_freeze: Timestamp | None = Field(
        None, description="Feature-freeze time: changes merged later need a freeze exception."
    )
    changes: list[IncludedChange] = Field(
        default_factory=list, description="The changes the release includes, with merge times."
    )
    labels: dict[str, str] = Field(default_factory=dict)


# --- change and approval governance ---------------------------------------------------------


class ReleaseRef(Record):
    name: str = Field(min_length=1, description="Release name, as in the release manifest.")
    version: str = Field(min_length=1, description="Release version, as in the release manifest.")


class Emergency(Record):
    justification: str | None = Field(None, description="Why the change cannot wait.")
    incident_ref: str | None = Field(None, description="Incident the change responds to.")
    postmortem_due: DueTime | None = Field(None, description="When the post-mortem is due.")


class TimeWindow(Record):
    start: Timestamp
    end: Timestamp

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if parse_rfc3339(self.end) <= parse_rfc3339(self.start):
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self


class ChangeRecord(Record):
    """A change-management record (ITIL change request) covering one release."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["ChangeRecord"] = "ChangeRecord"
    id: str = Field(min_length=1, description="Change id, e.g. CHG0031337.")
    title: str | None = None
    release: ReleaseRef = Field(description="The release this change covers.")
    status: str = Field(
        description="draft, submitted, approved, emergency-approved, rejected or closed."
    )
    requester: str | None = Field(None, description="Identity that raised the change.")
    authors: list[str] = Field(
        default_factory=list, description="Identities that authored the code or configuration."
    )
    pre_approved_template: bool | str | None = Field(
        None,
        description="Standard-change template this change follows (name), or true when it "
        "follows one whose name is not recorded.",
    )
    emergency: Emergency | None = None
    planned_window: TimeWindow | None = Field(None, description="When the change may be made.")
    cab_review_due: DueTime | None = Field(
        None, description="When the CAB reviews an emergency change after the fact."
    )
    created_at: Timestamp | None = None
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Further key/values from the change system (e.g. its internal id).",
    )

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        template = self.pre_approved_template
        facts["pre_approved"] = template is True or (isinstance(template, str) and bool(template))
        facts["pre_approved_template"] = (
            template if isinstance(template, str) and template else None
        )
        return facts


class Approval(Record):
    """One decision by one approver. The approval's own kind (change, cab, uat, compliance,
    emergency) is ``type`` in the file, because ``kind`` names the record type; policies see
    it as ``kind``."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Approval"] = "Approval"
    approver: str = Field(min_length=1, description="Approver identity (login or e-mail).")
    roles: list[str] = Field(default_factory=list, description="Roles the approver acts in.")
    decision: str = Field(description="approved or rejected.")
    time: Timestamp = Field(description="When the decision was made.")
    change_id: str | None = Field(None, description="Change record the decision is about.")
    release_version: str | None = Field(None, description="Release version it is about.")
    bundle_digest: str | None = Field(
        None, description="Evidence bundle digest (`sha256:...`) the approver looked at."
    )
    approval_type: str = Field(
        "change",
        alias="type",
        description="change, cab, uat, compliance, emergency or freeze-exception.",
    )
    changes: list[str] = Field(
        default_factory=list,
        description="Included changes the decision is about (a freeze exception names them).",
    )
    comment: str | None = None

    def facts(self) -> dict[str, Any]:
        facts = self.model_dump(
            mode="json", by_alias=True, exclude={"api_version", "kind", "approval_type"}
        )
        facts["kind"] = self.approval_type
        return facts


class ApprovalList(Record):
    """Several approvals in one file (a bare JSON/YAML list of approvals works too)."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["ApprovalList"] = "ApprovalList"
    approvals: list[Approval]


# --- environments ---------------------------------------------------------------------------


class MaskedField(Record):
    name: str = Field(min_length=1, description="Column or field name.")
    classification: str = Field(
        description="public, internal, confidential, sensitive, pii, pci, phi, ..."
    )
    masked: StrictBool
    method: str | None = Field(
        None, description="How it was masked: hash, tokenize, redact, shuffle, synthetic..."
    )


class MaskingVerification(Record):
    method: str = Field(description="checksum, sampling, scan, ...")
    result: str = Field(description="passed or failed.")
    details: str | None = None


class MaskingAttestation(Record):
    """Statement that a dataset copied between environments was masked, and how."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["MaskingAttestation"] = "MaskingAttestation"
    dataset: str = Field(min_length=1)
    source_environment: str = Field(min_length=1)
    target_environment: str = Field(min_length=1)
    clone_id: str | None = Field(None, description="The data clone this attestation covers.")
    fields: list[MaskedField] = Field(description="Every field of the dataset and its masking.")
    masking_policy_version: str = Field(min_length=1)
    verification: MaskingVerification | None = None
    attestor: str = Field(min_length=1, description="Identity attesting the masking.")
    time: Timestamp


class DataClone(Record):
    """One copy of a dataset from one environment into another."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["DataClone"] = "DataClone"
    id: str | None = Field(None, description="Clone job or run id.")
    dataset: str = Field(min_length=1)
    from_environment: str = Field(alias="from", min_length=1, description="Source environment.")
    to_environment: str = Field(alias="to", min_length=1, description="Target environment.")
    time: Timestamp
    actor: str | None = Field(None, description="Identity or job that made the copy.")


class DataCloneList(Record):
    api_version: ApiVersion = API_VERSION
    kind: Literal["DataCloneList"] = "DataCloneList"
    clones: list[DataClone]


# --- configuration management ---------------------------------------------------------------


class ConfigurationItem(Record):
    id: str = Field(min_length=1, description="CI id, as artifacts' `ci_id` names it.")
    name: str | None = None
    ci_class: str | None = Field(None, alias="class", description="CI class, e.g. application.")
    environment: str | None = None
    status: str | None = Field(None, description="Operational status, e.g. operational, retired.")


class CmdbExport(Record):
    """Configuration items exported from the CMDB."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["CmdbExport"] = "CmdbExport"
    system: str | None = Field(None, description="CMDB the export comes from (name or URL).")
    exported_at: Timestamp | None = None
    items: list[ConfigurationItem]


RECORD_TYPES: dict[str, type[Record]] = {}
"""Every record type by its schema name (``gatecheck schema <name>``)."""

KINDS: dict[str, type[Record]] = {}
"""Record model by the ``kind`` a file declares."""


def register(types: dict[str, type[Record]]) -> None:
    """Adds a family of record types, by schema name and by the ``kind`` its files declare."""
    RECORD_TYPES.update(types)
    KINDS.update({model.model_fields["kind"].default: model for model in types.values()})


register(
    {
        "release-manifest": ReleaseManifest,
        "change-record": ChangeRecord,
        "approval": Approval,
        "approval-list": ApprovalList,
        "masking-attestation": MaskingAttestation,
        "data-clone": DataClone,
        "data-clone-list": DataCloneList,
        "cmdb-export": CmdbExport,
    }
)

from gatecheck.evidence.records import lifecycle_models as lifecycle_records  # noqa: E402, F401 - registers its types
from gatecheck.evidence.records import operations_models as operations_records  # noqa: E402, F401 - registers its types
