"""Digests and canonical JSON: the bytes that gatecheck hashes and signs."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def any_float(doc: Any, test: Callable[[float], bool]) -> bool:
    """Whether ``test`` holds for a float anywhere in ``doc`` (nested dicts and lists). Runs
    over every value of a large input document, so strings and other scalars are passed over
    without being stacked, and ``test`` is called for floats only."""
    if type(doc) is float:
        return test(doc)
    if type(doc) is not dict and type(doc) is not list:
        return False
    stack = [doc]
    pop, push = stack.pop, stack.append
    while stack:
        container = pop()
        for value in container.values() if type(container) is dict else container:
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue
            if kind is dict or kind is list:
                push(value)
            elif kind is float and test(value):
                return True
    return False


def _not_finite(value: float) -> bool:
    return not math.isfinite(value)


def all_finite(doc: Any) -> bool:
    """No NaN or infinity anywhere in ``doc``: orjson would write them as null, json refuses
    them only when asked, and JSON cannot carry them."""
    return not any_float(doc, _not_finite)
