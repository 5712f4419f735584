"""The fast JSON path (orjson plus a member count) must decide exactly as the strict parser.

safe.load_json answers from orjson only when it can prove the strict parser would give the
same value; every other document goes to the strict parser, which gives the refusal and its
message. These tests hold the two to the same answer on hostile and random documents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe

HOSTILE = [
    b'{"a":1,"a":2}',
    b'{"a" :1,"a":2,"b":3}',  # a duplicate written with a space before its colon
    b'{"a"\n:\n1, "a"\t:2}',
    b'{"\\u0061":1,"a":2}',  # the same key, once escaped
    b'{"a\\\\":1, "a\\\\":2}',  # keys ending in a backslash
    b'{"a": ":x", "a": 1}',  # a value that starts with a colon
    b'{"k":[{"x":1,"y":2},{"x":3,"x":4}]}',
    b'{"a":"\\":"}',
    # duplicates hidden behind colons the text spells as escapes (the canonical writing has
    # them as bytes)
    b'{"a":1,"a":2,"b":"\\u003a"}',
    b'{"a":1,"a":2,"b\\u003A":3}',
    b'{"a":1,"a":2,"b":"\\u0022:"}',
    b'{"a":1,"a":2,"b":"\\\\\\u003a"}',
    b'{"a":"\\u003a"}',
    b'{"a\\":1,"a\\":2,"c":"\\\\\\":"}',
    b'{"a":":","a":1,"b":"x"}',
    b"[9223372036854775807, 1234567890123456789012]",  # 64-bit, then beyond: a float
    b"[NaN]",
    b"[Infinity]",
    b"[-Infinity]",
    b"1e400",
    b"[1e400]",
    b"[" + b"1" * 70 + b"]",
    b"[18446744073709551616]",  # beyond 64 bits: orjson would give a float
    b'{"x":-9223372036854775809}',
    b"[1e19, 2]",
    b'"\\ud800"',
    b'["\\udc00"]',
    b'["\\ud83d\\ude00"]',
    b'["\xed\xa0\x80"]',  # a surrogate encoded in UTF-8
    b"[\xff]",
    b"\xef\xbb\xbf{}",
    b"[1,]",
    b"[01]",
    b'{"a":1}garbage',
    b'{"a":1}\x00',
    b'["\t"]',
    b"[" * 1100 + b"]" * 1100,
    b"[" * 900 + b"]" * 900,
    b"",
    b"true",
    b'{"a":1}\n',
    b"[-0, -0.0, 1E+2, 1.5e308]",
]


def _outcome(loader: Any, raw: bytes) -> tuple[str, str]:
    try:
        value = loader(raw, name="e.json")
    except EvidenceError as exc:
        return "refused", str(exc)
    # repr keeps int vs float and -0.0 apart, which json.dumps would too, but also types.
    return "read", repr(value)


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_fast_path_decides_as_the_strict_parser(raw: bytes) -> None:
    assert _outcome(safe.load_json, raw) == _outcome(safe._strict_json, raw)


def test_duplicates_are_still_refused_with_the_strict_message() -> None:
    with pytest.raises(EvidenceError, match=r"^e\.json: duplicate key 'a'$"):
        safe.load_json(b'{"b": [{"a" :1, "a": 2}]}', name="e.json")


def test_large_documents_take_the_fast_path() -> None:
    doc = {"components": [{"name": f"p{i}", "v": i, "f": i / 3} for i in range(1000)]}
    raw = json.dumps(doc, indent=1).encode()
    assert safe._fast_json(raw) == doc
    # A 19-digit integer within 64 bits (a nanosecond timestamp) keeps the fast path.
    doc["t"] = 1_700_000_000_000_000_000
    assert safe._fast_json(json.dumps(doc).encode()) == doc


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet='ab:" \\\u00e9\U0001f600', max_size=6),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet='ab:" \\', max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_values, st.sampled_from(["", " ", "\n"]), st.booleans())
def test_random_documents_decide_alike(value: Any, space: str, duplicate: bool) -> None:
    raw = json.dumps([value], separators=(",", space + ":")).encode()
    if duplicate and raw.count(b":") and raw.startswith(b"[{"):
        # Repeat the first member of the first object: a duplicate key.
        first = json.dumps(value, separators=(",", space + ":"))[1:]
        member = first.split(",", 1)[0].rstrip("}")
        raw = b"[{" + member.encode() + b"," + raw[2:]
    assert _outcome(safe.load_json, raw) == _outcome(safe._strict_json, raw)


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=2.0**63, allow_infinity=False), st.booleans())
def test_orjson_writes_every_float_beyond_64_bits_with_an_exponent(
    x: float, negative: bool
) -> None:
    """The fast path looks for large floats only when orjson's writing holds `e+`."""
    import orjson

    assert b"e+" in orjson.dumps(-x if negative else x)
