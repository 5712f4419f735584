"""The bundle manifest: what evidence a bundle holds, and the digest that seals it."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatecheck.digest import canonical_json, sha256_bytes
from gatecheck.errors import BundleError
from gatecheck.evidence import safe

MANIFEST_NAME = "manifest.json"
EVIDENCE_DIR = "evidence"
SCHEMA_ID = "https://gatecheck.dev/bundle-manifest/v1"
ENTRY_PATH_RE = re.compile(r"^evidence/([0-9a-f]{64})\.[a-z0-9]{1,12}$")


class ToolRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str | None = None


class ReleaseRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


class EvidenceEntry(BaseModel):
    """One evidence file in the bundle."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="Path inside the bundle: evidence/<sha256>.<ext>.")
    type: str = Field(description="Evidence type (family), e.g. sbom, vulnerability-scan.")
    format: str = Field(description="Format within the type, e.g. cyclonedx-json.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    added_at: str = Field(description="RFC 3339 time the file was added.")
    source_name: str = Field(description="The file's name when it was added.")
    tool: ToolRef | None = Field(None, description="Producing tool, when the file says.")
    labels: dict[str, str] = Field(default_factory=dict, description="e.g. kind: unit")


class BundleManifest(BaseModel):
    """manifest.json of an evidence bundle."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_id: Literal["https://gatecheck.dev/bundle-manifest/v1"] = Field(
        SCHEMA_ID, alias="schema"
    )
    release: ReleaseRef
    created_at: str
    state: Literal["draft", "sealed"] = "draft"
    sealed_at: str | None = None
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    digest: str | None = Field(
        None, description="sha256 of the canonical manifest without this field (set at seal)."
    )

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def compute_digest(self) -> str:
        body = self.model_dump(mode="json", by_alias=True, exclude={"digest"})
        return "sha256:" + sha256_bytes(canonical_json(body))

    def entry_for(self, path: str) -> EvidenceEntry | None:
        return next((e for e in self.evidence if e.path == path), None)


def parse_manifest(raw: bytes, where: str) -> BundleManifest:
    try:
        value = safe.load_json(raw, name=where)
    except Exception as exc:  # noqa: BLE001 - EvidenceError: reported as a bundle problem
        raise BundleError(f"bundle manifest {where} is unreadable: {exc}") from None
    try:
        return BundleManifest.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BundleError(f"bundle manifest {where} is invalid: {loc}: {first['msg']}") from None
