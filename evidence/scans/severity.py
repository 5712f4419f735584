"""Severity, CVSS and time normalization shared by the vulnerability-scan parsers.

Policies compare one severity scale: ``critical``, ``high``, ``medium``, ``low``, or ``None``
when the scanner states none (policies then apply ``vuln_unknown_severity``). A scanner's own
severity label wins; only when it gives none is the band derived from a CVSS score, using the
CVSS v3.x/v4.0 qualitative bands (v2 scores use the v2 bands, which have no ``critical``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from gatecheck.errors import GatecheckError
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

BANDS = ("critical", "high", "medium", "low")
_RANK = {band: len(BANDS) - i for i, band in enumerate(BANDS)}

# Vendor vocabularies: Grype (Negligible), Red Hat (Important, Moderate), GHSA (Moderate),
# Debian (unimportant). Anything else, "unknown" included, is no severity.
_LABELS = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "negligible": "low",
    "unimportant": "low",
}


def label_band(label: Any) -> str | None:
    """A scanner's severity label as a band; None for unknown or missing labels."""
    if not isinstance(label, str):
        return None
    return _LABELS.get(label.strip().lower())


def worst(bands: list[str | None]) -> str | None:
    """The most severe band in ``bands`` (None when none is known)."""
    known = [b for b in bands if b is not None]
    return max(known, key=_RANK.__getitem__) if known else None


def score_band(score: float, version: str = "3") -> str:
    """CVSS base score to band: v3.x/v4.0 bands (9.0 critical, 7.0 high, 4.0 medium), or the
    v2 bands for v2 scores. A 0.0 ("none") score is reported as low, never as unknown."""
    if version.startswith("2"):
        return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    return "medium" if score >= 4.0 else "low"


def parse_score(value: Any) -> float | None:
    """A CVSS base score given as a number or numeric string, within 0-10; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 10.0:
        return float(value)
    return None


def vector_version(vector: str) -> str | None:
    """``"4.0"``, ``"3.1"``, ``"3.0"`` or ``"2"`` for a CVSS vector string, else None."""
    text = vector.strip()
    if text.startswith("CVSS:"):
        return text[5:].split("/", 1)[0] or None
    if text.startswith("(AV:") or text.startswith("AV:"):
        return "2"
    return None


@lru_cache(maxsize=4096)
def vector_score(vector: str) -> tuple[str, float] | None:
    """(version, base score) computed from a CVSS v2, v3.x or v4.0 vector; None when the
    vector is malformed (a scan's odd vector must not stop the evaluation)."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    version = vector_version(vector)
    if version is None:
        return None
    try:
        if version.startswith("4"):
            return version, float(CVSS4(vector.strip()).base_score)
        if version.startswith("3"):
            return version, float(CVSS3(vector.strip()).base_score)
        return "2", float(CVSS2(vector.strip().strip("()")).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _version_rank(version: str) -> int:
    return 2 if version.startswith("2") else 3 if version.startswith("3") else 4


def best_score(scores: list[tuple[str, float]]) -> tuple[str, float] | None:
    """The score to report from several: the newest CVSS version present (v4.0, then v3.x,
    then v2), and within it the highest score, so a finding is never understated."""
    if not scores:
        return None
    top = max(_version_rank(v) for v, _ in scores)
    return max(((v, s) for v, s in scores if _version_rank(v) == top), key=lambda vs: vs[1])


def normalize_time(value: Any) -> str | None:
    """An RFC 3339 timestamp with a zone, as UTC ending in Z; None when absent or unreadable
    (policies then fall back to the time its producer signed into the attestation)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return format_rfc3339(parse_rfc3339(value))
    except (GatecheckError, ValueError, OverflowError):
        return None


def sha256_digests(values: list[Any]) -> list[str]:
    """Lower-case sha256 hex digests from ``sha256:<hex>`` strings, also inside image
    references (``name@sha256:<hex>``); anything else is skipped."""
    found: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        _, _, digest = value.rpartition("sha256:")
        digest = digest.lower()
        is_hex = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
        if is_hex and digest not in found:
            found.append(digest)
    return found


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value != "" else None
