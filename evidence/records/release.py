"""The release manifest: gatecheck's own record of what is released (JSON or YAML)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.records.models import ReleaseManifest


def load_record_document(doc: Document) -> Any:
    return doc.structured


def validation_message(name: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{name}: {where}: {first['msg']}{more}"


class ReleaseManifestParser(EvidenceParser):
    family = "release-manifest"
    formats = ("gatecheck-release-manifest",)

    def detect(self, doc: Document) -> str | None:
        if doc.name.lower().endswith((".yaml", ".yml")):
            try:
                value = load_record_document(doc)
            except EvidenceError:
                return None
        else:
            value = doc.json_object()
        if isinstance(value, dict) and value.get("kind") == "ReleaseManifest":
            return self.formats[0]
        return None

    def load(self, doc: Document) -> ReleaseManifest:
        value = load_record_document(doc)
        if not isinstance(value, dict):
            raise EvidenceError(f"{doc.name}: a release manifest must be an object")
        try:
            return ReleaseManifest.model_validate(value)
        except ValidationError as exc:
            raise EvidenceError(validation_message(doc.name, exc)) from None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        return self.load(doc).facts()

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        return Tool("gatecheck")
