"""SPDX 2.3 JSON SBOMs (``spdx-json``).

No installed package ships the SPDX 2.3 JSON schema (spdx-tools validates in code), so the
document is checked here against the fields SPDX 2.3 requires: ``spdxVersion``,
``dataLicense`` (``CC0-1.0``), ``SPDXID`` (``SPDXRef-DOCUMENT``), ``name``,
``documentNamespace``, ``creationInfo.created`` and ``creationInfo.creators``; for each package
``SPDXID``, ``name`` and ``downloadLocation``; well-formed checksums, external references and
relationships; unique SPDX ids; and at least one described element. SPDX 2.2 and other 2.x
documents are read but marked invalid, since only 2.3 is supported.

The subject is what the document DESCRIBES (``documentDescribes``, ``SPDXRef-DOCUMENT
DESCRIBES x`` or ``x DESCRIBED_BY SPDXRef-DOCUMENT``), restricted to packages; every other
package is a component. Pointers are RFC 6901 JSON pointers (``/packages/3``).
"""

from __future__ import annotations

import re
from typing import Any

from gatecheck.errors import EvidenceError
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.sbom.cyclonedx import (
    MAX_REPORTED_ERRORS,
    hash_algorithm,
    normalize_time,
    sbom_facts,
    subject_facts,
)
from gatecheck.evidence.sbom.licenses import license_fact

SUPPORTED_VERSION = "SPDX-2.3"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
NO_LICENSE = frozenset({"NOASSERTION", "NONE"})
_SPDX_ID = re.compile(r"^SPDXRef-[A-Za-z0-9.\-]+$")
_EXTERNAL_ID = re.compile(r"^DocumentRef-[A-Za-z0-9.\-]+:SPDXRef-[A-Za-z0-9.\-]+$")
# SPDX 2.3 clause 6.9: YYYY-MM-DDThh:mm:ssZ.
_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_CREATOR = re.compile(r"^(Person|Organization|Tool): \S")
_TOOL_VERSION = re.compile(r"^(?P<name>.+?)[-\s]v?(?P<version>\d[\w.+\-]*)$")


class _Checker:
    """Collects structural errors as ``<json pointer>: <problem>``."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, pointer: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"{pointer or '/'}: {message}")

    def string(self, obj: dict[str, Any], key: str, pointer: str) -> str | None:
        value = obj.get(key)
        if key not in obj:
            self.add(pointer, f"required property {key!r} is missing")
        elif not isinstance(value, str) or not value.strip():
            self.add(f"{pointer}/{key}", "must be a non-empty string")
        else:
            return value
        return None

    def list_of_objects(self, obj: dict[str, Any], key: str, pointer: str) -> list[Any]:
        value = obj.get(key, [])
        if not isinstance(value, list):
            self.add(f"{pointer}/{key}", "must be an array")
            return []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.add(f"{pointer}/{key}/{i}", "must be an object")
        return value


def _validate(doc: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Structural errors of an SPDX 2.3 document, and the ids of its elements."""
    check = _Checker()
    version = check.string(doc, "spdxVersion", "")
    if version is not None and version != SUPPORTED_VERSION:
        check.add("/spdxVersion", f"{version!r} is not supported (supported: {SUPPORTED_VERSION})")
    data_license = check.string(doc, "dataLicense", "")
    if data_license is not None and data_license != "CC0-1.0":
        check.add("/dataLicense", f"must be 'CC0-1.0', not {data_license!r}")
    spdx_id = check.string(doc, "SPDXID", "")
    if spdx_id is not None and spdx_id != DOCUMENT_ID:
        check.add("/SPDXID", f"must be {DOCUMENT_ID!r}, not {spdx_id!r}")
    check.string(doc, "name", "")
    namespace = check.string(doc, "documentNamespace", "")
    if namespace is not None and ("#" in namespace or ":" not in namespace):
        check.add("/documentNamespace", "must be an absolute URI without a '#' part")

    info = doc.get("creationInfo")
    if not isinstance(info, dict):
        check.add("", "required object 'creationInfo' is missing")
    else:
        created = check.string(info, "created", "/creationInfo")
        if created is not None and not _CREATED.match(created):
            check.add("/creationInfo/created", f"{created!r} is not YYYY-MM-DDThh:mm:ssZ")
        creators = info.get("creators")
        if not isinstance(creators, list) or not creators:
            check.add("/creationInfo/creators", "must be a non-empty array")
        else:
            for i, creator in enumerate(creators):
                if not isinstance(creator, str) or not _CREATOR.match(creator):
                    check.add(
                        f"/creationInfo/creators/{i}",
                        "must start with 'Person: ', 'Organization: ' or 'Tool: '",
                    )

    ids: dict[str, str] = {DOCUMENT_ID: "/SPDXID"}
    for key in ("packages", "files", "snippets"):
        for i, element in enumerate(check.list_of_objects(doc, key, "")):
            if not isinstance(element, dict):
                continue
            pointer = f"/{key}/{i}"
            element_id = check.string(element, "SPDXID", pointer)
            if element_id is not None:
                if not _SPDX_ID.match(element_id):
                    check.add(f"{pointer}/SPDXID", f"{element_id!r} is not SPDXRef-<idstring>")
                elif element_id in ids:
                    check.add(f"{pointer}/SPDXID", f"{element_id!r} also used at {ids[element_id]}")
                ids.setdefault(element_id, f"{pointer}/SPDXID")
            if key == "packages":
                _validate_package(check, element, pointer)

    for i, rel in enumerate(check.list_of_objects(doc, "relationships", "")):
        if isinstance(rel, dict):
            for field in ("spdxElementId", "relationshipType", "relatedSpdxElement"):
                check.string(rel, field, f"/relationships/{i}")

    described = _described_ids(doc)
    if not described:
        check.add("", "describes nothing: no documentDescribes and no DESCRIBES relationship")
    for target in described:
        if target not in ids and not _EXTERNAL_ID.match(target):
            check.add("/documentDescribes", f"described element {target!r} is not in the document")
    return check.errors, set(ids)


def _validate_package(check: _Checker, pkg: dict[str, Any], pointer: str) -> None:
    check.string(pkg, "name", pointer)
    check.string(pkg, "downloadLocation", pointer)
    for j, checksum in enumerate(check.list_of_objects(pkg, "checksums", pointer)):
        if isinstance(checksum, dict):
            check.string(checksum, "algorithm", f"{pointer}/checksums/{j}")
            check.string(checksum, "checksumValue", f"{pointer}/checksums/{j}")
    for j, ref in enumerate(check.list_of_objects(pkg, "externalRefs", pointer)):
        if isinstance(ref, dict):
            for field in ("referenceCategory", "referenceType", "referenceLocator"):
                check.string(ref, field, f"{pointer}/externalRefs/{j}")
    for field in ("licenseConcluded", "licenseDeclared", "versionInfo"):
        if field in pkg and not isinstance(pkg[field], str):
            check.add(f"{pointer}/{field}", "must be a string")


def _described_ids(doc: dict[str, Any]) -> list[str]:
    found: list[str] = []
    describes = doc.get("documentDescribes")
    if isinstance(describes, list):
        found.extend(d for d in describes if isinstance(d, str))
    relationships = doc.get("relationships")
    for rel in relationships if isinstance(relationships, list) else []:
        if not isinstance(rel, dict):
            continue
        kind = rel.get("relationshipType")
        if kind == "DESCRIBES" and rel.get("spdxElementId") == DOCUMENT_ID:
            found.append(rel.get("relatedSpdxElement"))
        elif kind == "DESCRIBED_BY" and rel.get("relatedSpdxElement") == DOCUMENT_ID:
            found.append(rel.get("spdxElementId"))
    return list(dict.fromkeys(f for f in found if isinstance(f, str)))


def _licenses(pkg: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field in ("licenseConcluded", "licenseDeclared"):
        value = pkg.get(field)
        text = value.strip() if isinstance(value, str) else ""
        if text and text not in NO_LICENSE and text not in found:
            found.append(text)
    return found


def _purl(pkg: dict[str, Any]) -> str | None:
    refs = pkg.get("externalRefs")
    for ref in refs if isinstance(refs, list) else []:
        if (
            isinstance(ref, dict)
            and ref.get("referenceType") == "purl"
            and isinstance(ref.get("referenceLocator"), str)
        ):
            return ref["referenceLocator"]
    return None


def _hashes(pkg: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    checksums = pkg.get("checksums")
    for entry in checksums if isinstance(checksums, list) else []:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("algorithm"), str)
            and isinstance(entry.get("checksumValue"), str)
        ):
            out[hash_algorithm(entry["algorithm"])] = entry["checksumValue"].lower()
    return out


def _package(pkg: dict[str, Any], pointer: str) -> dict[str, Any]:
    purpose = pkg.get("primaryPackagePurpose")
    return {
        "name": pkg.get("name") if isinstance(pkg.get("name"), str) else None,
        "version": pkg.get("versionInfo") if isinstance(pkg.get("versionInfo"), str) else None,
        "purl": _purl(pkg),
        # SPDX purposes (LIBRARY, APPLICATION, ...) lowercased read like CycloneDX types.
        "type": purpose.lower() if isinstance(purpose, str) else None,
        "licenses": [license_fact(name) for name in _licenses(pkg)],
        "hashes": _hashes(pkg),
        "pointer": pointer,
    }


def parse_tool(creator: str) -> Tool | None:
    """``Tool: trivy-0.50.1`` -> Tool("trivy", "0.50.1"); ``Tool: trivy-dev`` keeps the name."""
    if not creator.startswith("Tool:"):
        return None
    text = creator[len("Tool:") :].strip()
    if not text:
        return None
    match = _TOOL_VERSION.match(text)
    if match:
        return Tool(match["name"], match["version"])
    return Tool(text)


def _tools(doc: dict[str, Any]) -> list[Tool]:
    info = doc.get("creationInfo")
    creators = info.get("creators") if isinstance(info, dict) else None
    tools = []
    for creator in creators if isinstance(creators, list) else []:
        tool = parse_tool(creator) if isinstance(creator, str) else None
        if tool is not None:
            tools.append(tool)
    return tools


def _is_spdx2(obj: dict[str, Any]) -> bool:
    version = obj.get("spdxVersion")
    return isinstance(version, str) and version.startswith("SPDX-2.")


class SpdxParser(EvidenceParser):
    family = "sbom"
    formats = ("spdx-json",)

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        return "spdx-json" if obj is not None and _is_spdx2(obj) else None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        obj = doc.json
        if not isinstance(obj, dict) or not _is_spdx2(obj):
            raise EvidenceError(
                f"{doc.name}: not an SPDX 2.x JSON document (no spdxVersion 'SPDX-2.x')"
            )
        errors, _ = _validate(obj)
        described = set(_described_ids(obj))
        subjects: list[dict[str, Any]] = []
        components: list[dict[str, Any]] = []
        packages = obj.get("packages")
        for i, pkg in enumerate(packages if isinstance(packages, list) else []):
            if not isinstance(pkg, dict):
                continue
            facts = _package(pkg, f"/packages/{i}")
            if pkg.get("SPDXID") in described:
                subjects.append(subject_facts(facts))
            else:
                components.append(facts)
        info = obj.get("creationInfo") if isinstance(obj.get("creationInfo"), dict) else {}
        return sbom_facts(
            spec="spdx",
            spec_version=obj["spdxVersion"].removeprefix("SPDX-"),
            errors=errors,
            subjects=subjects,
            components=components,
            timestamp=normalize_time(info.get("created")),
            tools=_tools(obj),
        )

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        obj = doc.json_object() or {}
        tools = _tools(obj)
        return tools[0] if tools else None
