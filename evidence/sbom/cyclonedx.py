"""CycloneDX SBOMs, JSON and XML, spec versions 1.4-1.6.

JSON (``cyclonedx-json``) is validated against the JSON schemas that cyclonedx-python-lib
ships, with jsonschema-rs (fast on large documents). XML (``cyclonedx-xml``: root ``bom`` in
namespace ``http://cyclonedx.org/schema/bom/1.x``) is first read by
:func:`gatecheck.evidence.safe.load_xml` (defusedxml: no entity declarations, no external
entities), then validated against the XSDs that cyclonedx-python-lib ships
(``bom-1.x.SNAPSHOT.xsd``, which imports ``spdx.SNAPSHOT.xsd``) with lxml. lxml parses with
network access, DTD loading and entity resolution off, and the schema resolver only hands out
files from that schema folder, so validation never leaves the machine.

Both encodings normalize to the same facts. Every component carries ``pointer``: for JSON an
RFC 6901 JSON pointer (``/components/2``, ``/components/2/components/0``); for XML, where a
JSON pointer means nothing, an XPath-like location with 1-based positions among the sibling
``component`` elements (``/bom/components/component[3]``,
``/bom/components/component[3]/components/component[1]``). The subject is
``metadata.component`` (``/metadata/component`` or ``/bom/metadata/component``); ``subjects``
lists it too, so policies treat CycloneDX and SPDX (which may describe several packages) alike.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext, Tool
from gatecheck.evidence.sbom.licenses import license_fact, named_text
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

SUPPORTED_VERSIONS = ("1.4", "1.5", "1.6")
MAX_REPORTED_ERRORS = 20
XML_NAMESPACE_PREFIX = "http://cyclonedx.org/schema/bom/"


def schema_dir() -> Path:
    # Located without importing cyclonedx (its import pulls in much more than the schemas).
    spec = importlib.util.find_spec("cyclonedx")
    if spec is None or not spec.submodule_search_locations:
        raise EvidenceError("cyclonedx-python-lib is not installed; reinstall gatecheck")
    return Path(next(iter(spec.submodule_search_locations))) / "schema" / "_res"


@cache
def json_validator(spec_version: str) -> Any:
    import jsonschema_rs

    base = schema_dir()

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


def _lxml_parser() -> Any:
    """An lxml parser that reads only what it is given: no network, DTDs or entities."""
    from lxml import etree

    return etree.XMLParser(
        no_network=True,
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        recover=False,
    )


@cache
def xml_validator(spec_version: str) -> Any:
    """The compiled XSD for ``spec_version``; imports resolve only inside the schema folder."""
    try:
        from lxml import etree
    except ImportError:
        raise EvidenceError("lxml is not installed; reinstall gatecheck") from None

    base = schema_dir().resolve()

    class LocalSchemas(etree.Resolver):  # type: ignore[misc]
        def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
            path = url.removeprefix("file://")
            local = (base / path.rsplit("/", 1)[-1]).resolve()
            if local.parent != base or not local.is_file() or not local.name.endswith(".xsd"):
                raise EvidenceError(f"XML schema {url} is not available offline")
            return self.resolve_filename(str(local), context)

    parser = _lxml_parser()
    parser.resolvers.add(LocalSchemas())
    schema_doc = etree.parse(str(base / f"bom-{spec_version}.SNAPSHOT.xsd"), parser)
    return etree.XMLSchema(schema_doc)


def schema_errors(validator: Any, document: Any) -> list[str]:
    errors = []
    for error in validator.iter_errors(document):
        where = "/" + "/".join(str(p) for p in error.instance_path)
        errors.append(f"{where}: {error.message[:300]}")
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    return errors


def xml_schema_errors(spec_version: str, raw: bytes) -> list[str]:
    """XSD errors for ``raw``, which safe.load_xml has already accepted (no entities)."""
    validator = xml_validator(spec_version)  # first: it says so when lxml is missing
    from lxml import etree

    try:
        instance = etree.fromstring(raw, parser=_lxml_parser())
    except etree.XMLSyntaxError as exc:
        # Well-formed for expat but refused by libxml2 (e.g. a text node over 10 MB).
        return [f"document could not be read for schema validation: {exc}"]
    if validator.validate(instance):
        return []
    errors = []
    for entry in validator.error_log:
        errors.append(f"line {entry.line}: {entry.message[:300]}")
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    return errors or ["document does not conform to the CycloneDX XML schema"]


def normalize_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return format_rfc3339(parse_rfc3339(value))
    except Exception:  # noqa: BLE001 - an unreadable time is a missing time for policies
        return None


@lru_cache(maxsize=64)  # a handful of names, looked up once per hash of every component
def hash_algorithm(name: str) -> str:
    """``SHA-256`` / ``SHA256`` -> ``sha256``, so CycloneDX and SPDX digests compare."""
    return name.lower().replace("-", "").replace("_", "")


def subject_facts(component: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": component["name"],
        "version": component["version"],
        "purl": component["purl"],
        "digests": component["hashes"],
        "pointer": component["pointer"],
    }


def sbom_facts(
    *,
    spec: str,
    spec_version: str | None,
    errors: list[str],
    subjects: list[dict[str, Any]],
    components: list[dict[str, Any]],
    timestamp: str | None,
    tools: list[Tool],
) -> dict[str, Any]:
    """The normalized shape every SBOM format produces."""
    # A CycloneDX component of type `file` is a file of a package (syft lists each package's
    # METADATA and RECORD so), not a package: it never has a version or purl, and the
    # package inventory the controls judge leaves it out, as SPDX keeps files apart.
    components = [c for c in components if c.get("type") != "file"]
    return {
        "spec": spec,
        "spec_version": spec_version,
        "valid": not errors,
        "errors": errors,
        "subject": subjects[0] if subjects else None,
        "subjects": subjects,
        "components": components,
        "component_count": len(components),
        "timestamp": timestamp,
        "tools": [t.as_dict() for t in tools],
    }


# -- JSON ------------------------------------------------------------------------------------


def _licenses(entries: Any, shared: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A component's licenses. Runs once per component, and an SBOM names a handful of
    distinct licenses: the fact of an id or expression is made once per document and
    ``shared`` by the components that name it (facts are never changed once made)."""
    found: list[dict[str, Any]] = []
    for entry in entries if type(entries) is list else ():
        if type(entry) is not dict:
            continue
        expression = entry.get("expression")
        if type(expression) is str:
            if (fact := shared.get(expression)) is None:
                fact = shared[expression] = license_fact(expression)
            found.append(fact)
        lic = entry.get("license")
        if type(lic) is dict:
            spdx_id = lic.get("id")
            if type(spdx_id) is str:
                if (fact := shared.get(spdx_id)) is None:
                    fact = shared[spdx_id] = license_fact(spdx_id)
                found.append(fact)
            elif isinstance(lic.get("name"), str):
                text = lic.get("text")
                if isinstance(text, dict):
                    content = text.get("content") if text.get("encoding") is None else None
                    found.append(named_text(lic["name"], content))
                else:
                    found.append(license_fact(lic["name"]))
    return found


def _hashes(entries: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            out[hash_algorithm(str(entry.get("alg", "")))] = entry["content"].lower()
    return out


def _component(
    comp: dict[str, Any], pointer: str, shared: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    # Runs once per component (50,000 in large SBOMs): kept free of helper calls.
    name, version = comp.get("name"), comp.get("version")
    purl, kind = comp.get("purl"), comp.get("type")
    licenses, hashes = comp.get("licenses"), comp.get("hashes")
    return {
        "name": name if isinstance(name, str) else None,
        "version": version if isinstance(version, str) else None,
        "purl": purl if isinstance(purl, str) else None,
        "type": kind if isinstance(kind, str) else None,
        "licenses": _licenses(licenses, shared) if licenses else [],
        "hashes": _hashes(hashes) if hashes else {},
        "pointer": pointer,
    }


def _walk_components(comps: Any, pointer: str, out: list[dict[str, Any]]) -> None:
    # Nested components (assemblies) are part of what the artifact contains.
    stack = [(comps, pointer)]
    shared: dict[str, dict[str, Any]] = {}  # license facts by id or expression
    while stack:
        items, base = stack.pop()
        if not isinstance(items, list):
            continue
        for i, comp in enumerate(items):
            if isinstance(comp, dict):
                out.append(_component(comp, f"{base}/{i}", shared))
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


# -- XML -------------------------------------------------------------------------------------


def xml_spec_version(root: Element) -> str | None:
    """``1.x`` from the root's namespace when the root is a CycloneDX ``bom``, else None."""
    if safe.local_name(root.tag) != "bom":
        return None
    ns = safe.namespace(root.tag)
    if not ns.startswith(XML_NAMESPACE_PREFIX):
        return None
    return ns[len(XML_NAMESPACE_PREFIX) :] or None


class _XmlReader:
    """Reads CycloneDX elements of one namespace; extension elements of others are skipped."""

    def __init__(self, ns: str) -> None:
        self.ns = "{" + ns + "}"

    def child(self, node: Element | None, name: str) -> Element | None:
        return None if node is None else node.find(self.ns + name)

    def children(self, node: Element | None, name: str) -> list[Element]:
        return [] if node is None else node.findall(self.ns + name)

    def text(self, node: Element | None, name: str) -> str | None:
        found = self.child(node, name)
        if found is None:
            return None
        return (found.text or "").strip()

    def licenses(self, comp: Element) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for entry in self.children(comp, "licenses"):
            for item in entry:
                kind = safe.local_name(item.tag)
                if not item.tag.startswith(self.ns):
                    continue
                if kind == "expression" and item.text is not None:
                    found.append(license_fact(item.text.strip()))
                elif kind == "license":
                    value = self.text(item, "id")
                    if value is not None:
                        found.append(license_fact(value))
                    elif (value := self.text(item, "name")) is not None:
                        text = self.child(item, "text")
                        if text is None:
                            found.append(license_fact(value))
                        else:
                            plain = text.get("encoding") is None
                            found.append(named_text(value, text.text if plain else None))
        return found

    def hashes(self, comp: Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for h in self.children(self.child(comp, "hashes"), "hash"):
            if h.text is not None:
                out[hash_algorithm(h.get("alg", ""))] = h.text.strip().lower()
        return out

    def component(self, comp: Element, pointer: str) -> dict[str, Any]:
        return {
            "name": self.text(comp, "name"),
            "version": self.text(comp, "version"),
            "purl": self.text(comp, "purl"),
            "type": comp.get("type"),
            "licenses": self.licenses(comp),
            "hashes": self.hashes(comp),
            "pointer": pointer,
        }

    def walk(self, container: Element | None, pointer: str) -> Iterator[dict[str, Any]]:
        stack = [(container, pointer)]
        while stack:
            node, base = stack.pop()
            for i, comp in enumerate(self.children(node, "component"), start=1):
                here = f"{base}/component[{i}]"
                yield self.component(comp, here)
                nested = self.child(comp, "components")
                if nested is not None:
                    stack.append((nested, f"{here}/components"))

    def tools(self, metadata: Element | None) -> list[Tool]:
        tools = self.child(metadata, "tools")
        entries = (
            self.children(tools, "tool")  # 1.4 style
            + self.children(self.child(tools, "components"), "component")
            + self.children(self.child(tools, "services"), "service")
        )
        found = []
        for entry in entries:
            name = self.text(entry, "name")
            if name:
                found.append(Tool(name, self.text(entry, "version")))
        return found


class CycloneDxParser(EvidenceParser):
    family = "sbom"
    formats = ("cyclonedx-json", "cyclonedx-xml")

    def detect(self, doc: Document) -> str | None:
        if doc.looks_like_json():
            obj = doc.json_object()
            if obj is not None and obj.get("bomFormat") == "CycloneDX":
                return "cyclonedx-json"
            return None
        root = doc.xml_root()
        if root is not None and xml_spec_version(root) is not None:
            return "cyclonedx-xml"
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        if fmt == "cyclonedx-xml":
            return self._parse_xml(doc)
        return self._parse_json(doc)

    def _parse_json(self, doc: Document) -> dict[str, Any]:
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
        subject_raw = metadata.get("component")
        subjects = []
        if isinstance(subject_raw, dict):
            subjects.append(subject_facts(_component(subject_raw, "/metadata/component", {})))
        components: list[dict[str, Any]] = []
        _walk_components(bom.get("components"), "/components", components)
        return sbom_facts(
            spec="cyclonedx",
            spec_version=spec_version if isinstance(spec_version, str) else None,
            errors=errors,
            subjects=subjects,
            components=components,
            timestamp=normalize_time(metadata.get("timestamp")),
            tools=_tools(metadata),
        )

    def _parse_xml(self, doc: Document) -> dict[str, Any]:
        root = doc.xml
        spec_version = xml_spec_version(root)
        if spec_version is None:
            raise EvidenceError(
                f"{doc.name}: not a CycloneDX XML document (root element must be 'bom' in "
                f"namespace {XML_NAMESPACE_PREFIX}1.x)"
            )
        if spec_version in SUPPORTED_VERSIONS:
            errors = xml_schema_errors(spec_version, doc.raw)
        else:
            errors = [
                f"namespace {safe.namespace(root.tag)}: CycloneDX {spec_version} is not "
                f"supported (supported: {', '.join(SUPPORTED_VERSIONS)})"
            ]
        reader = _XmlReader(safe.namespace(root.tag))
        metadata = reader.child(root, "metadata")
        subject_raw = reader.child(metadata, "component")
        subjects = []
        if subject_raw is not None:
            subjects.append(subject_facts(reader.component(subject_raw, "/bom/metadata/component")))
        components = list(reader.walk(reader.child(root, "components"), "/bom/components"))
        return sbom_facts(
            spec="cyclonedx",
            spec_version=spec_version,
            errors=errors,
            subjects=subjects,
            components=components,
            timestamp=normalize_time(reader.text(metadata, "timestamp")),
            tools=reader.tools(metadata),
        )

    def tool(self, doc: Document, fmt: str) -> Tool | None:
        if fmt == "cyclonedx-xml":
            root = doc.xml_root()
            if root is None:
                return None
            reader = _XmlReader(safe.namespace(root.tag))
            tools = reader.tools(reader.child(root, "metadata"))
        else:
            obj = doc.json_object() or {}
            metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            tools = _tools(metadata)
        return tools[0] if tools else None
