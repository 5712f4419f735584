"""Waivers: a named, approved, expiring exception to one control within a scope.

A waiver turns matching violations of an enforced control into ``waived``; the control is
waived only when every violation is. An expired waiver has no effect and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatecheck.engine.config import Waiver
from gatecheck.errors import ConfigError, UsageError
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

SCOPE_KEYS = ("artifact", "component", "vulnerability")
# Controls whose failure means nobody trusted vouched for a fact: no exception can fix that.
NOT_WAIVABLE = frozenset({"GC-ART-002", "GC-ART-007", "GC-EVD-001"})


def waiver_expiry(waiver: Waiver) -> datetime:
    try:
        return parse_rfc3339(waiver.expires, what=f"waiver expiry for {waiver.control}")
    except UsageError as exc:
        raise ConfigError(str(exc)) from None


def waiver_summary(waiver: Waiver) -> dict[str, Any]:
    return waiver.model_dump(mode="json", exclude_none=True)


@dataclass
class WaiverBook:
    """Waivers sorted into active and expired at the effective time."""

    active: list[Waiver] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    @classmethod
    def at(cls, waivers: list[Waiver], effective: datetime, release: dict[str, Any]) -> WaiverBook:
        book = cls()
        for waiver in waivers:
            if waiver.control in NOT_WAIVABLE:
                raise ConfigError(
                    f"waiver for {waiver.control}: this control is not waivable (an unverified "
                    "signature, provenance or evidence source cannot be excused)"
                )
            expiry = waiver_expiry(waiver)  # every waiver must be well-formed, matching or not
            if waiver.scope.release != release.get("name"):
                continue
            if waiver.scope.version and waiver.scope.version != release.get("version"):
                continue
            (book.active if expiry > effective else book.expired).append(waiver)
        return book

    def match(self, control: str, violation: dict[str, Any]) -> Waiver | None:
        scope = violation.get("scope") or {}
        for index, waiver in enumerate(self.active):
            if waiver.control != control:
                continue
            wanted = waiver.scope.model_dump()
            if all(wanted[k] is None or scope.get(k) == wanted[k] for k in SCOPE_KEYS):
                self.used.add(index)
                return waiver
        return None

    def report(self) -> dict[str, list[dict[str, Any]]]:
        applied = [waiver_summary(w) for i, w in enumerate(self.active) if i in self.used]
        unused = [waiver_summary(w) for i, w in enumerate(self.active) if i not in self.used]
        return {
            "applied": applied,
            "expired": [waiver_summary(w) for w in self.expired],
            "unused": unused,
        }


def expiry_text(waiver: Waiver) -> str:
    return format_rfc3339(waiver_expiry(waiver))
