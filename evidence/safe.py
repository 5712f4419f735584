"""Hostile-input-safe decoding of evidence bytes.

Evidence comes from whoever runs the pipeline, and whoever controls it wants a pass, so every
decode here is strict: JSON with duplicate keys (tools disagree on which wins), NaN/Infinity,
absurd numbers, invalid UTF-8 or a byte-order mark is refused; XML goes through defusedxml,
which refuses entity declarations (billion laughs) and external entities.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from gatecheck.errors import EvidenceError

UTF8_BOM = b"\xef\xbb\xbf"
MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
MAX_XML_DEPTH = 256


def read_limited(path: Path, limit: int = MAX_EVIDENCE_BYTES) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvidenceError(f"{path}: is a directory, not an evidence file") from None
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise EvidenceError(f"{path}: larger than the {limit // (1024 * 1024)} MiB evidence limit")
    return data


def decode_text(raw: bytes, *, name: str) -> str:
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{name}: not valid UTF-8 (byte {exc.start})") from None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonReject(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _reject_constant(token: str) -> Any:
    raise _JsonReject(f"{token} is not valid JSON")


def _finite_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _JsonReject(f"number {token[:20]}... is out of range")
    return value


class _JsonReject(ValueError):
    pass


def load_json(raw: bytes, *, name: str) -> Any:
    """Strict RFC 8259 JSON: UTF-8 without BOM, unique keys, finite numbers."""
    if raw.startswith(UTF8_BOM):
        raise EvidenceError(
            f"{name}: JSON starts with a byte-order mark; RFC 8259 JSON is UTF-8 without one"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{name}: not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except _JsonReject as exc:
        raise EvidenceError(f"{name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise EvidenceError(f"{name}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. integers beyond Python's digit limit
        raise EvidenceError(f"{name}: unreadable JSON number ({exc})") from None


def load_xml(raw: bytes, *, name: str) -> Element:
    """Well-formed XML without entity declarations or external entities, bounded depth."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise EvidenceError(f"{name}: unsafe XML refused ({type(exc).__name__})") from None
    except DET.ParseError as exc:
        raise EvidenceError(f"{name}: not well-formed XML ({exc})") from None
    except RecursionError:
        raise EvidenceError(f"{name}: XML nested too deeply") from None
    _check_depth(root, name)
    return root


def _check_depth(root: Element, name: str) -> None:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            raise EvidenceError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} levels")
        stack.extend((child, depth + 1) for child in node)


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def load_yaml(raw: bytes, *, name: str) -> Any:
    """YAML restricted to JSON's data model: no aliases (no expansion bombs), no duplicate
    keys, no custom tags, one document."""
    import yaml

    text = decode_text(raw, name=name)

    class _StrictLoader(yaml.SafeLoader):
        pass

    def _no_alias(loader: Any, *args: Any, **kwargs: Any) -> Any:
        raise yaml.constructor.ConstructorError(None, None, "YAML aliases are not allowed")

    def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} is not a string", key_node.start_mark
                )
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = loader.construct_object(value_node, deep=True)
        return result

    _StrictLoader.compose_alias = _no_alias  # type: ignore[method-assign]
    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    # Timestamps stay strings, as in JSON; policies parse them with time.parse_rfc3339_ns.
    _StrictLoader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        value = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    except yaml.YAMLError as exc:
        raise EvidenceError(f"{name}: not valid YAML ({' '.join(str(exc).split())})") from None
    except RecursionError:
        raise EvidenceError(f"{name}: YAML nested too deeply") from None
    _check_json_model(value, name)
    return value


def _check_json_model(value: Any, name: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise EvidenceError(f"{name}: NaN and infinite numbers are not allowed")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, (str, int, float, bool)) and item is not None:
            raise EvidenceError(f"{name}: value of type {type(item).__name__} is not JSON data")


def load_structured(raw: bytes, *, name: str) -> Any:
    """gatecheck's own record types: JSON when the document starts like JSON (strictly
    parsed), otherwise YAML, or YAML whenever the name says .yaml/.yml."""
    if name.lower().endswith((".yaml", ".yml")):
        return load_yaml(raw, name=name)
    if raw.lstrip(b" \t\r\n")[:1] in (b"{", b"[") or raw.startswith(UTF8_BOM):
        return load_json(raw, name=name)
    return load_yaml(raw, name=name)
