"""RFC 3339 times. gatecheck never reads the clock inside an evaluation: the effective time is
an input, so every decision can be replayed."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from gatecheck.errors import UsageError


def parse_rfc3339(value: str, *, what: str = "time") -> datetime:
    """Parse an RFC 3339 timestamp that carries a timezone; return it in UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{what} {value!r} is not an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise UsageError(f"{what} {value!r} has no timezone; add Z or an offset such as +01:00")
    return parsed.astimezone(UTC)


def format_rfc3339(moment: datetime) -> str:
    """UTC, second precision unless sub-second parts exist, always with a Z."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def record_time() -> datetime:
    """The time stamped into bundle manifests: now, or SOURCE_DATE_EPOCH when set, so a
    bundle built twice from the same files is byte-identical (reproducible-builds.org)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return now_utc()
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a UNIX timestamp") from None


def to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, as Rego's time builtins use."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
