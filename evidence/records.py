"""gatecheck's own record types (release manifest, ...): pydantic models with published JSON
Schemas, read from JSON or YAML.

Fields a control judges (class, digests, versions) are deliberately loose strings: a wrong
value must reach the policy and fail the control that names it, not be refused at parse time
with no control to point at. Unknown fields are refused so that typos never pass silently.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "gatecheck.dev/v1"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Artifact(Record):
    name: str = Field(description="Artifact name, e.g. an image repository or package name.")
    version: str | None = Field(None, description="Release version of the artifact (SemVer).")
    digest: str | None = Field(None, description="Content digest, `sha256:<64 hex>`.")
    ci_id: str | None = Field(None, description="CMDB configuration item id.")
    regulated: list[str] = Field(
        default_factory=list, description="Regulated data tags: pii, pci, phi, sox."
    )


class Service(Record):
    name: str | None = None
    availability: str | None = Field(None, description="`high`, `standard` or `low`.")
    tier: int | None = Field(None, description="Criticality tier; 0 and 1 are high availability.")


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


class ReleaseManifest(Record):
    """What is being released, and the plan around it."""

    api_version: str = Field(API_VERSION, alias="apiVersion")
    kind: str = Field("ReleaseManifest", pattern="^ReleaseManifest$")
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
    data_migration: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        """Plain JSON for the policy input: wire names (``class``), empty sections as null."""
        return self.model_dump(mode="json", by_alias=True, exclude={"api_version", "kind"})


RECORD_TYPES: dict[str, type[Record]] = {"release-manifest": ReleaseManifest}
