"""Hostile-input-safe decoding of evidence bytes.

Evidence comes from whoever runs the pipeline, and whoever controls it wants a pass, so every
decode here is strict: JSON with duplicate keys (tools disagree on which wins), NaN/Infinity,
absurd numbers, lone surrogates, invalid UTF-8 or a byte-order mark is refused; XML goes
through defusedxml, which refuses entity declarations (billion laughs) and external entities,
and its depth is bounded while it is parsed, not after (a 1,000,000-level document would
otherwise build a 300 MB tree before any check could see it).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from gatecheck.digest import any_float
from gatecheck.errors import EvidenceError

UTF8_BOM = b"\xef\xbb\xbf"
MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
MAX_XML_DEPTH = 256
# Integers beyond this many digits are refused: RFC 8259 warns they do not interoperate, and
# a parser's float() of a 400-digit integer raises OverflowError instead of reading a fact.
MAX_INT_DIGITS = 64
_LONG_DIGIT_RUN = re.compile(rb"[0-9]{%d,}" % (MAX_INT_DIGITS + 1))
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def read_limited(path: Path, limit: int = MAX_EVIDENCE_BYTES) -> bytes:
    """A regular file's bytes, up to ``limit``. FIFOs and devices are refused before reading
    (O_NONBLOCK: opening a FIFO with no writer would otherwise hang; /dev/zero never ends)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise EvidenceError(f"{path}: is a directory, not an evidence file")
            if not stat.S_ISREG(st.st_mode):
                raise EvidenceError(f"{path}: not a regular file (a FIFO, socket or device)")
            if st.st_size > limit:
                raise EvidenceError(
                    f"{path}: larger than the {limit // (1024 * 1024)} MiB evidence limit"
                )
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


def _bounded_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise _JsonReject(
            f"integer {token[:20]}... has {len(token.lstrip('-'))} digits "
            f"(more than {MAX_INT_DIGITS} are not interoperable)"
        )
    return int(token)


def _check_surrogates(value: Any, name: str) -> None:
    """``"\\ud800"`` decodes to a str that cannot be encoded as UTF-8 again, so every later
    step (digests, the engine's input) would crash on it: refuse it here, with the file's name."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EvidenceError(
                    f"{name}: string holds a lone UTF-16 surrogate (\\u{ord(item[exc.start]):04x}), "
                    "which is not valid Unicode"
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _JsonReject(ValueError):
    pass


@contextlib.contextmanager
def paused_gc() -> Any:
    """Builds a large acyclic value (a 50,000-component SBOM is millions of objects) without
    the cyclic collector rescanning the growing heap every few hundred allocations: that
    rescanning, not the parsing, was most of the time. Nothing built here holds a cycle."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# A colon outside strings separates a member's key from its value; inside one it is a
# character. orjson's canonical writing keeps every colon of a string as the byte `:`, so
# counting colons compares members (see _fast_json) unless the text spells a colon as an
# escape, which its count would miss.
_ESCAPED_COLONS = (b"\\u003a", b"\\u003A")
# orjson reads integers beyond 64 bits as floats, and writes every float of 1e16 or more in
# magnitude with an exponent (`1.8446744073709552e+19`): a value whose canonical writing has
# no `e+` holds no float that may have been such an integer (tests hold orjson to this).
_INT64_RANGE = float(2**63)


def _fast_json(raw: bytes) -> Any:
    """orjson's parse when it is provably the strict parser's value, else _UNDECIDED.

    orjson refuses what the strict parser refuses except duplicate keys (it keeps the last)
    and integers beyond 64 bits (it returns floats). The colons of the text are the members
    written plus the colons inside its strings; the colons of orjson's canonical writing of
    the value are the members parsed plus the colons inside the strings kept. A duplicate
    only removes members (and their strings' colons), never adds any, so equal counts prove
    that no member was lost; a text with an escaped colon, or a large float, goes to the
    strict parser, as does whatever orjson refuses (the strict parser gives the message).
    Counting bytes is C-fast where a Python walk over 1.4 million values is not."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency
        return _UNDECIDED
    try:
        value = orjson.loads(raw)
        canonical = orjson.dumps(value)  # refuses nesting deeper than 254: undecided
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _UNDECIDED
    if type(value) not in (dict, list):  # a bare scalar: too small to be worth a fast path
        return _UNDECIDED
    # (One byte is found several times faster than several: the longer ones only then.)
    if b"\\" in raw and any(escape in raw for escape in _ESCAPED_COLONS):
        return _UNDECIDED
    if b"+" in canonical and b"e+" in canonical and any_float(value, _large):
        return _UNDECIDED
    return value if raw.count(b":") == canonical.count(b":") else _UNDECIDED


def _large(value: float) -> bool:
    """At least 2**63 in magnitude: an integer literal beyond 64 bits may have become it."""
    return abs(value) >= _INT64_RANGE


_UNDECIDED = object()


def load_json(raw: bytes, *, name: str) -> Any:
    """Strict RFC 8259 JSON: UTF-8 without BOM, unique keys, finite numbers."""
    with paused_gc():
        if not raw.startswith(UTF8_BOM):
            value = _fast_json(raw)
            if value is not _UNDECIDED:
                return value
        return _strict_json(raw, name=name)


def _strict_json(raw: bytes, *, name: str) -> Any:
    if raw.startswith(UTF8_BOM):
        raise EvidenceError(
            f"{name}: JSON starts with a byte-order mark; RFC 8259 JSON is UTF-8 without one"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{name}: not valid UTF-8 (byte {exc.start})") from None
    # The integer hook costs a Python call per number: use it only when a long digit run exists.
    extra: dict[str, Any] = {"parse_int": _bounded_int} if _LONG_DIGIT_RUN.search(raw) else {}
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            **extra,
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
    if _SURROGATE_ESCAPE.search(raw):  # only escapes can smuggle a surrogate past UTF-8
        _check_surrogates(value, name)
    return value


def load_xml(raw: bytes, *, name: str) -> Element:
    """Well-formed XML without entity declarations or external entities, bounded depth."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    parser = DET.DefusedXMLParser(
        target=_DepthLimitedBuilder(MAX_XML_DEPTH),
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(raw)
        root = parser.close()
    except _TooDeep:
        raise EvidenceError(f"{name}: XML nested deeper than {MAX_XML_DEPTH} levels") from None
    except DefusedXmlException as exc:
        raise EvidenceError(f"{name}: unsafe XML refused ({type(exc).__name__})") from None
    except DET.ParseError as exc:
        raise EvidenceError(f"{name}: not well-formed XML ({exc})") from None
    except RecursionError:
        raise EvidenceError(f"{name}: XML nested too deeply") from None
    return root


class _TooDeep(Exception):
    pass


class _DepthLimitedBuilder(TreeBuilder):
    """ElementTree's builder that stops expat at the first element deeper than ``limit``, so
    memory and time stay bounded by the limit, not by the document (costs ~20% parse time)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._depth = 0
        self._limit = limit

    def start(self, tag: Any, attrs: Any) -> Element:
        self._depth += 1
        if self._depth > self._limit:
            raise _TooDeep
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self._depth -= 1
        return super().end(tag)


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def int_attr(elem: Element, key: str) -> int | None:
    """An XML attribute as an integer, or None when absent or not an integer."""
    value = elem.get(key)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


@functools.cache
def _yaml12_resolvers() -> dict[str | None, list[tuple[str, Any]]]:
    """YAML 1.2 core-schema scalars instead of PyYAML's YAML 1.1 ones: `16:00` stays a string
    (1.1 reads it as the sexagesimal 960), `no`/`on` stay strings (1.1: booleans), and
    timestamps stay strings, as in JSON (policies parse them with time.parse_rfc3339_ns)."""
    import re

    import yaml

    patterns = {
        "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        "tag:yaml.org,2002:float": (
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+0123456789.",
        ),
        "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    }
    resolvers: dict[str | None, list[tuple[str, Any]]] = {}
    for tag, (regex, first) in patterns.items():
        for char in first:
            resolvers.setdefault(char or None, []).append((tag, re.compile(regex)))
    # Keep PyYAML's merge-key and value resolvers (not scalars of the core schema).
    for char, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        for tag, rx in entries:
            if tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"):
                resolvers.setdefault(char, []).append((tag, rx))
    return resolvers


def load_yaml(raw: bytes, *, name: str) -> Any:
    """YAML restricted to JSON's data model: no aliases (no expansion bombs), no duplicate
    keys, no custom tags, one document."""
    import yaml

    text = decode_text(raw, name=name)

    class _StrictLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            # PyYAML resolves an alias inside compose_node itself (it has no compose_alias
            # hook), so refuse it here: nine nested aliases of ten items each expand to 10^9
            # values in any walk of the result.
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases are not allowed", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)

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

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    _StrictLoader.yaml_implicit_resolvers = _yaml12_resolvers()
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
        if isinstance(item, int) and abs(item) >= 10**MAX_INT_DIGITS:
            raise EvidenceError(
                f"{name}: integer with more than {MAX_INT_DIGITS} digits is not allowed"
            )
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise EvidenceError(f"{name}: string holds a lone UTF-16 surrogate") from None
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
