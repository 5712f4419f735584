"""Waivers: a named, approved, expiring exception to one control within a scope.

A waiver turns matching violations of an enforced control into ``waived``; the control is
waived only when every violation is. An expired waiver has no effect and is reported.

Every configured waiver must qualify, whether or not it matches this release, or the
evaluation ends in error naming it (``WaiverRules.check``): its scope is narrower than a
release (a version, artifact, component or vulnerability besides the release name), its
approver is a person of the trust policy's directory (by id or alias) holding a role in
``waiver_approver_roles``, and it expires after it was granted and at most
``waiver_max_days`` later. The control must be waivable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gatecheck.engine.authenticity import stage_param
from gatecheck.engine.config import Waiver
from gatecheck.engine.trust import ResolvedTrust
from gatecheck.errors import ConfigError, UsageError
from gatecheck.timeutil import format_rfc3339, parse_rfc3339

SCOPE_KEYS = ("artifact", "component", "vulnerability")
# Policy data parameters (defaults in policies/data.json) and the values used when absent.
ROLES_PARAM, MAX_DAYS_PARAM = "waiver_approver_roles", "waiver_max_days"
DEFAULT_APPROVER_ROLES = ("risk-owner", "ciso", "security")
DEFAULT_MAX_DAYS = 90
# Controls whose failure means nobody trusted vouched for a fact: no exception can fix that.
NOT_WAIVABLE = frozenset({"GC-ART-002", "GC-ART-007", "GC-EVD-001"})


def _time(waiver: Waiver, value: str, what: str) -> datetime:
    try:
        return parse_rfc3339(value, what=f"{waiver.label}: {what}")
    except UsageError as exc:
        raise ConfigError(str(exc)) from None


def waiver_expiry(waiver: Waiver) -> datetime:
    return _time(waiver, waiver.expires, "expiry")


PENDING, ACTIVE, EXPIRED = "pending", "active", "expired"


def waiver_state(waiver: Waiver, effective: datetime) -> str:
    """``pending`` (granted after ``effective``: no effect yet, listed as unused), ``active``
    or ``expired`` at ``effective``; ConfigError for an unreadable time."""
    if _time(waiver, waiver.granted, "granted time") > effective:
        return PENDING
    return ACTIVE if waiver_expiry(waiver) > effective else EXPIRED


@dataclass(frozen=True)
class WaiverRules:
    """Who may approve a waiver and for how long, from the trust policy and policy data."""

    trust: ResolvedTrust
    approver_roles: tuple[str, ...] = DEFAULT_APPROVER_ROLES
    max_days: int = DEFAULT_MAX_DAYS

    @classmethod
    def of(cls, trust: ResolvedTrust, data: dict[str, Any], stage: str) -> WaiverRules:
        roles = stage_param(data, stage, ROLES_PARAM, list(DEFAULT_APPROVER_ROLES))
        days = stage_param(data, stage, MAX_DAYS_PARAM, DEFAULT_MAX_DAYS)
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            raise ConfigError(f"parameter {ROLES_PARAM} must be a list of role names")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigError(f"parameter {MAX_DAYS_PARAM} must be a whole number of days >= 1")
        return cls(trust, tuple(roles), days)

    def check(self, waiver: Waiver) -> None:
        """ConfigError naming the waiver unless it qualifies (see the module docstring)."""
        name = waiver.label
        if waiver.control in NOT_WAIVABLE:
            raise ConfigError(
                f"{name}: {waiver.control} is not waivable (an unverified signature, "
                "provenance or evidence source cannot be excused)"
            )
        scope = waiver.scope
        if not scope.release.strip():
            raise ConfigError(f"{name}: scope.release is blank")
        narrower = [getattr(scope, k) for k in ("version", *SCOPE_KEYS)]
        if not any(isinstance(v, str) and v.strip() for v in narrower):
            raise ConfigError(
                f"{name}: a release-wide waiver is refused; scope it to a version, artifact, "
                "component or vulnerability of the release"
            )
        if not waiver.approver.strip():
            raise ConfigError(f"{name}: the approver is blank")
        person = self.trust.person(waiver.approver)
        if person is None:
            raise ConfigError(
                f"{name}: approver {waiver.approver!r} is not a person in the trust policy's "
                "directory (trust.people)"
            )
        roles = self.trust.roles.get(person, [])
        if not set(roles) & set(self.approver_roles):
            raise ConfigError(
                f"{name}: approver {person} holds none of the roles in {ROLES_PARAM} "
                f"({', '.join(self.approver_roles)})"
            )
        granted = _time(waiver, waiver.granted, "granted time")
        expiry = waiver_expiry(waiver)
        if expiry <= granted:
            raise ConfigError(f"{name}: it expires ({waiver.expires}) before it was granted")
        if expiry - granted > timedelta(days=self.max_days):
            raise ConfigError(
                f"{name}: it expires {waiver.expires}, more than {MAX_DAYS_PARAM} "
                f"({self.max_days}) days after it was granted ({waiver.granted})"
            )


def waiver_summary(waiver: Waiver) -> dict[str, Any]:
    return waiver.model_dump(mode="json", exclude_none=True)


@dataclass
class WaiverBook:
    """Waivers sorted into active and expired at the effective time."""

    active: list[Waiver] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    pending: list[Waiver] = field(default_factory=list)
    """Granted after the effective time."""
    used: set[int] = field(default_factory=set)

    @classmethod
    def at(
        cls,
        waivers: list[Waiver],
        effective: datetime,
        release: dict[str, Any],
        rules: WaiverRules,
    ) -> WaiverBook:
        book = cls()
        by_state = {PENDING: book.pending, ACTIVE: book.active, EXPIRED: book.expired}
        for waiver in waivers:
            rules.check(waiver)  # every waiver must qualify, matching this release or not
            if waiver.scope.release != release.get("name"):
                continue
            if waiver.scope.version and waiver.scope.version != release.get("version"):
                continue
            by_state[waiver_state(waiver, effective)].append(waiver)
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
        unused += [waiver_summary(w) for w in self.pending]
        return {
            "applied": applied,
            "expired": [waiver_summary(w) for w in self.expired],
            "unused": unused,
        }


def expiry_text(waiver: Waiver) -> str:
    return format_rfc3339(waiver_expiry(waiver))
