"""License strings from SBOMs resolved to SPDX license expressions.

SBOMs name licenses three ways: an SPDX id or expression (``MIT OR Apache-2.0``), a Python
trove classifier (``License :: OSI Approved :: MIT License``, which older cyclonedx-py versions
write verbatim and current ones write when they cannot map it), or a free-text name
(``Server Side Public License``). Allow/deny lists hold SPDX ids, so every string is resolved
before policies see it, from maintained data only:

- SPDX ids and expressions: ``license-expression`` with its bundled SPDX/ScanCode license index
  (it also rewrites deprecated ids: ``AGPL-3.0`` -> ``AGPL-3.0-only``, ``GPL-2.0+`` ->
  ``GPL-2.0-or-later``). ``LicenseRef-``/``DocumentRef-`` ids are SPDX-valid but name no listed
  license; they are kept as written.
- Names: the SPDX license list's full names (``SSPL-1.0``: "Server Side Public License, v 1"),
  as shipped in cyclonedx-python-lib's ``spdx.SNAPSHOT.schema.json`` (``meta:enum``). A name
  matches when it equals a full name after normalization (case, punctuation, "licence",
  "version"/"v" before a number, "1" vs "1.0"); a name without a version matches when exactly
  one listed license has that name apart from its version (so "Server Side Public License" is
  SSPL-1.0, while "GNU General Public License" is ambiguous and stays unresolved).
- Trove classifiers: the classifier's last segment is resolved as a name; when it carries an
  SPDX id in parentheses (``Eclipse Public License 2.0 (EPL-2.0)``) that id is used. The
  trove-classifiers package lists classifiers but maps none to SPDX, and PEP 639 leaves the
  ambiguous ones (``BSD License``, ``Apache Software License``) unmapped; so are they here.

A string that resolves to nothing keeps ``spdx: null``; GC-ART-004 warns about it (except a
named license text beside a resolved license of the same component).
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

from gatecheck.errors import EvidenceError

TROVE_PREFIX = "License :: "
MAX_NAME_CHARS = 120  # longer than any SPDX license list name
_REF_PREFIXES = ("licenseref-", "documentref-")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+)*$")
_PARENTHESES = re.compile(r"\(([^()]*)\)")


@cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _version_token(token: str) -> str:
    # "1" and "1.0" and "1.0.0" name the same version in license names.
    parts = token.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def _normalized(name: str) -> tuple[str, ...]:
    text = name.casefold().replace("licence", "license")
    words = _WORD.findall(text)
    out: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in ("version", "v", "the") and (word == "the" or _VERSION.match(following)):
            continue
        if word.startswith("v") and _VERSION.match(word[1:]):
            word = word[1:]  # "v3" -> "3"
        out.append(_version_token(word) if _VERSION.match(word) else word)
    return tuple(out)


def _unversioned(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in words if not _VERSION.match(w))


@cache
def _spdx_names() -> tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], set[str]]]:
    """Full name -> id, and name-without-version -> ids, from the bundled SPDX license list."""
    from gatecheck.evidence.sbom.cyclonedx import schema_dir

    path = schema_dir() / "spdx.SNAPSHOT.schema.json"
    try:
        names = json.loads(path.read_text(encoding="utf-8"))["meta:enum"]
    except (OSError, ValueError, KeyError) as exc:
        raise EvidenceError(f"the SPDX license list is unreadable ({path}): {exc}") from None
    exact: dict[tuple[str, ...], str] = {}
    loose: dict[tuple[str, ...], set[str]] = {}
    current_ids = _current_ids()
    for spdx_id, full_name in names.items():
        if not isinstance(full_name, str):
            continue
        words = _normalized(full_name)
        # Deprecated ids share names with their successors; the current id wins.
        current = current_ids.get(spdx_id.casefold()) or _expression(spdx_id) or spdx_id
        exact.setdefault(words, current)
        loose.setdefault(_unversioned(words), set()).add(current)
    return exact, loose


@cache
def _current_ids() -> dict[str, str]:
    """Case-folded license key or alias -> the key ``_expression`` normalizes a lone id to,
    read from the licensing's symbols: one dictionary instead of parsing each of the list's
    ~800 ids (tests/test_sbom_licenses.py holds the two equal for every listed id)."""
    found: dict[str, str] = {}
    for symbol in _licensing().known_symbols.values():
        if symbol.is_exception:
            continue  # an exception alone is no license expression
        for name in (symbol.key, *symbol.aliases):
            found.setdefault(name.casefold(), symbol.key)
    return found


def _expression(text: str) -> str | None:
    """The normalized SPDX expression, or None when ``text`` is not one."""
    try:
        info = _licensing().validate(text)
    except Exception:  # noqa: BLE001 - license-expression raises assorted errors on bad input
        return None
    if info.errors:
        refs = info.invalid_symbols and all(
            str(s).casefold().startswith(_REF_PREFIXES) for s in info.invalid_symbols
        )
        return text.strip() if refs and not _syntax_errors(info.errors) else None
    return str(info.normalized_expression) if info.normalized_expression else None


def _syntax_errors(errors: list[str]) -> bool:
    return any(not e.startswith("Unknown license key") for e in errors)


def _by_name(name: str) -> str | None:
    exact, loose = _spdx_names()
    words = _normalized(name)
    if not words:
        return None
    if words in exact:
        return exact[words]
    if words == _unversioned(words):
        ids = loose.get(words, set())
        if len(ids) == 1:
            return next(iter(ids))
    return None


@lru_cache(maxsize=4096)  # SBOMs repeat a handful of license strings across many components
def resolve(text: str) -> str | None:
    """The SPDX expression ``text`` stands for, or None when it cannot be told."""
    text = text.strip()
    if not text:
        return None
    if text.startswith(TROVE_PREFIX):
        leaf = text.rsplit("::", 1)[-1].strip()
        for inner in _PARENTHESES.findall(leaf):
            found = _expression(inner)
            if found and not found.casefold().startswith(_REF_PREFIXES):
                return found
        return _by_name(leaf) or _by_name(_PARENTHESES.sub(" ", leaf))
    return _expression(text) or _by_name(text) or _by_name(_PARENTHESES.sub(" ", text))


def license_fact(name: str, *, text: bool = False) -> dict[str, Any]:
    """One license as policies see it: as written (``name``), as SPDX (``spdx``, or None),
    and whether the SBOM attaches the license text (``text``: CycloneDX names such as
    ``declared license file: LICENSE`` label a text, not a license)."""
    return {"name": name, "spdx": resolve(name), "text": text}


def named_text(label: str, content: Any) -> dict[str, Any]:
    """A CycloneDX license given as an attached text under a label. cyclonedx-py writes a
    package's ``License:`` metadata this way (``declared license of 'pkg'``), and that field
    often holds a name ("Server Side Public License") rather than a text: a short one-line
    plain content is resolved as a name; a whole license text is not (it stays unresolved)."""
    if isinstance(content, str) and 0 < len(content.strip()) <= MAX_NAME_CHARS:
        name = content.strip()
        if "\n" not in name:
            return {"name": name, "spdx": resolve(name), "text": True}
    return {"name": label, "spdx": None, "text": True}
