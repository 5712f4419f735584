"""Property-based tests: every parser, fed arbitrary bytes or mutated real documents, raises
only gatecheck's own errors (GatecheckError subclasses), never a TypeError or a traceback.

Detection and parsing go through the registry, the one path ``bundle add`` and ``evaluate``
use. Each parser is also made to parse documents in each of its formats whatever detection
says, as a crafted manifest that labels a file with the wrong format would make it. A
parser's own ``detect`` must not raise at all on arbitrary bytes (its contract).
"""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatecheck.errors import GatecheckError
from gatecheck.evidence import registry, safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext

DATA = Path(__file__).parent / "data"
PARSERS = registry.parsers()
PARSER_IDS = [f"{type(p).__name__}" for p in PARSERS]
# Per parser and property; 65 parametrized properties share the default test run's budget.
EXAMPLES = 30
MAX_SAMPLE_BYTES = 64 * 1024  # keeps schema validation and signature checks fast

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CONTEXT = ParseContext(
    labels={"kind": "unit"},
    release={
        "name": "payments-api",
        "version": "1.4.0",
        "artifacts": [{"name": "payments-api", "digest": "sha256:" + "ab" * 32}],
    },
)


def _samples() -> dict[str, list[tuple[str, bytes]]]:
    """Real files from tests/data, by the parser that detects them (small ones first)."""
    found: dict[str, list[tuple[str, bytes]]] = {}
    files = sorted(
        (p for p in DATA.rglob("*") if p.is_file() and p.name != "SOURCES.md"),
        key=lambda p: p.stat().st_size,
    )
    for path in files:
        raw = path.read_bytes()
        if len(raw) > MAX_SAMPLE_BYTES:
            continue
        try:
            parser, _ = registry.detect(Document(raw, path.name))
        except GatecheckError:
            continue
        found.setdefault(type(parser).__name__, []).append((path.name, raw))
    return {k: v[:3] for k, v in found.items()}


SAMPLES = _samples()
SAMPLED = [p for p in PARSERS if type(p).__name__ in SAMPLES]


def check(parser: EvidenceParser, doc: Document) -> None:
    """Detection over every parser, then this parser's every format: GatecheckError only."""
    for attempt in (
        lambda: registry.detect(doc),
        *(
            lambda fmt=fmt: registry.parse(doc, parser.family, fmt, CONTEXT)
            for fmt in parser.formats
        ),
    ):
        try:
            attempt()
        except GatecheckError as exc:
            assert str(exc).strip(), "an error must say something"


# --- strategies -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

# Arbitrary bytes, plus byte strings that get past the first checks (JSON-, XML-, YAML- and
# LCOV-looking), so the parsers' own code is reached and not only the decoders.
arbitrary = st.one_of(
    st.binary(max_size=2048),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(
            [
                "bomFormat",
                "specVersion",
                "version",
                "runs",
                "dependencies",
                "matches",
                "Results",
                "results",
                "_type",
                "payloadType",
                "payload",
                "mediaType",
                "kind",
                "apiVersion",
                "files",
                "totals",
                "metrics",
            ]
        ),
        json_values,
        max_size=5,
    ).map(lambda v: json.dumps(v).encode()),
    st.text(alphabet=string.printable, max_size=300).map(
        lambda t: f"<?xml version='1.0'?><testsuites>{t}</testsuites>".encode()
    ),
    st.text(alphabet=string.printable, max_size=300).map(
        lambda t: f"TN:\nSF:{t}\nDA:1,1\nend_of_record\n".encode()
    ),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in list(value.items())[:20]:
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:5]):
            found += _paths(item, (*prefix, i))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    node = value
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return value


@st.composite
def mutated(draw: st.DrawFn, raw: bytes, name: str) -> bytes:
    """A real document changed a little: bytes flipped, cut or inserted, or (for JSON and
    YAML) a subtree replaced by an arbitrary value of another type."""
    kind = draw(st.sampled_from(["bytes", "truncate", "structure", "structure"]))
    if kind == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if kind == "structure":
        try:
            value = safe.load_structured(raw, name=name)
        except GatecheckError:
            value = None
        if isinstance(value, (dict, list)):
            for _ in range(draw(st.integers(1, 3))):
                path = draw(st.sampled_from(_paths(value)))
                value = _replace(value, path, draw(json_values))
            return json.dumps(value).encode()
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


# --- properties -----------------------------------------------------------------------------


@pytest.mark.parametrize("parser", PARSERS, ids=PARSER_IDS)
@SETTINGS
@given(raw=arbitrary)
def test_arbitrary_bytes_raise_only_gatecheck_errors(parser: EvidenceParser, raw: bytes) -> None:
    doc = Document(raw, "evidence.json")
    with contextlib.suppress(GatecheckError):
        parser.detect(doc)  # the contract: detection never raises on a foreign file
    check(parser, doc)


@pytest.mark.parametrize("parser", SAMPLED, ids=[type(p).__name__ for p in SAMPLED])
@SETTINGS
@given(data=st.data())
def test_mutated_real_documents_raise_only_gatecheck_errors(
    parser: EvidenceParser, data: st.DataObject
) -> None:
    name, raw = data.draw(st.sampled_from(SAMPLES[type(parser).__name__]))
    check(parser, Document(data.draw(mutated(raw, name)), name))


def test_real_documents_exist_for_the_main_families() -> None:
    """The mutation test has material for every family that has corpus files."""
    families = {p.family for p in SAMPLED}
    assert {
        "sbom",
        "vulnerability-scan",
        "sast",
        "test-results",
        "coverage",
        "provenance",
        "signature",
        "change-record",
        "approval",
    } <= families
