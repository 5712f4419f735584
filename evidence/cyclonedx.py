"""CycloneDX SBOMs (JSON; specVersion 1.4-1.6), validated against the schemas that
cyclonedx-python-lib ships, with jsonschema-rs (fast on large documents)."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

SUPPORTED_VERSIONS = ("1.4", "1.5", "1.6")
MAX_REPORTED_ERRORS = 20


def _schema_dir() -> Path:
    # Located without importing cyclonedx (its import pulls in much more than the schemas).
    spec = importlib.util.find_spec("cyclonedx")
    if spec is None or not spec.submodule_search_locations:
        raise EvidenceError("cyclonedx-python-lib is not installed; reinstall gatecheck")
    return Path(next(iter(spec.submodule_search_locations))) / "schema" / "_res"


@cache
def json_validator(spec_version: str) -> Any:
    import jsonschema_rs

    base = _schema_dir()

    def retrieve(uri: str) -> Any:
        name = uri.rsplit("/", 1)[-1]
        local = base / name
        if not local.is_file():
            local = base / name.replace(".schema.json", ".SNAPSHOT.schema.json")
        if not local.is_file():
            raise ValueError(f"schema {uri} is not available offline")
        return json.loads(local.read_text(encoding="utf-8"))

    schema = json.loads((base / f"bom-{spec_version}.SNAPSHOT.schema.json").read_text("utf-8"))
    return jsonschema_rs.validator_for(schema, retriever=retrieve)


def schema_errors(validator: Any, document: Any) -> list[str]:
    errors = []
    for error in validator.iter_errors(document):
        where = "/" + "/".join(str(p) for p in error.instance_path)
        errors.append(f"{where}: {error.message[:300]}")
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    return errors


def normalize_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return format_rfc3339(parse_rfc3339(value))
    except Exception:  # noqa: BLE001 - an unreadable time is a missing time for policies
        return None


def _licenses(entries: Any) -> list[str]:
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            found.append(entry["expression"])
        lic = entry.get("license")
        if isinstance(lic, dict):
            if isinstance(lic.get("id"), str):
                found.append(lic["id"])
            elif isinstance(lic.get("name"), str):
                found.append(lic["name"])
    return found


def _hashes(entries: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            alg = str(entry.get("alg", "")).lower().replace("-", "")
            out[alg] = entry["content"].lower()
    return out


def _component(comp: dict[str, Any], pointer: str) -> dict[str, Any]:
    return {
        "name": comp.get("name") if isinstance(comp.get("name"), str) else None,
        "version": comp.get("version") if isinstance(comp.get("version"), str) else None,
        "purl": comp.get("purl") if isinstance(comp.get("purl"), str) else None,
        "type": comp.get("type") if isinstance(comp.get("type"), str) else None,
        "licenses": _licenses(comp.get("licenses")),
        "hashes": _hashes(comp.get("hashes")),
        "pointer": pointer,
    }


def _walk_components(comps: Any, pointer: str, out: list[dict[str, Any]]) -> None:
    # Nested components (assemblies) are part of what the artifact contains.
    stack = [(comps, pointer)]
    while stack:
        items, base = stack.pop()
        if not isinstance(items, list):
            continue
        for i, comp in enumerate(items):
            if isinstance(comp, dict):
                out.append(_component(comp, f"{base}/{i}"))
                if "components" in comp:
                    stack.append((comp["components"], f"{base}/{i}/components"))


def _tools(metadata: dict[str, Any]) -> list[Tool]:
    tools = metadata.get("tools")
    entries: list[Any] = []
    if isinstance(tools, list):  # 1.4 style
        entries = tools
    elif isinstance(tools, dict):  # 1.5+ style
        entries = list(tools.get("components") or []) + list(tools.get("services") or [])
    found = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            version = entry.get("version")
            found.append(Tool(entry["name"], version if isinstance(version, str) else None))
    return found


class CycloneDxParser(EvidenceParser):
    family = "sbom"
    formats = ("cyclonedx-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        if obj is not None and obj.get("bomFormat") == "CycloneDX":
            return "cyclonedx-json"
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        bom = doc.json
        if not isinstance(bom, dict) or bom.get("bomFormat") != "CycloneDX":
            raise EvidenceError(f"{doc.name}: not a CycloneDX JSON document")
        spec_version = bom.get("specVersion")
        errors: list[str] = []
        if spec_version in SUPPORTED_VERSIONS:
            errors = schema_errors(json_validator(spec_version), bom)
        else:
            errors = [
                f"/specVersion: {spec_version!r} is not supported "
                f"(supported: {', '.join(SUPPORTED_VERSIONS)})"
            ]
        metadata = bom.get("metadata") if isinstance(bom.get("metadata"), dict) else {}
        subject_raw = metadata.get("component") if isinstance(metadata.get("component"), dict) else None
        components: list[dict[str, Any]] = []
        _walk_components(bom.get("components"), "/components", components)
        subject = None
        if subject_raw is not None:
            s = _component(subject_raw, "/metadata/component")
            subject = {
                "name": s["name"],
                "version": s["version"],
                "purl": s["purl"],
                "digests": s["hashes"],
            }
        tools = _tools(metadata)
        return {
            "spec": "cyclonedx",
            "spec_version": spec_version if isinstance(spec_version, str) else None,
            "valid": not errors,
            "errors": errors,
            "subject": subject,
            "components": components,
            "component_count": len(components),
            "timestamp": normalize_time(metadata.get("timestamp")),
            "tools": [t.as_dict() for t in tools],
        }

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        tools = _tools(metadata)
        return tools[0] if tools else None
