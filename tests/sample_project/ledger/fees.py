"""Transfer fees by customer tier."""

from __future__ import annotations

RATES = {"basic": 0.02, "plus": 0.01}


def fee(amount: int, tier: str) -> int:
    """Fee in cents for a transfer of ``amount`` cents."""
    if tier == "premium":
        return 0
    rate = RATES.get(tier)
    if rate is None:
        raise KeyError(f"unknown tier {tier!r}")
    return max(1, round(amount * rate))


def waive(fee_cents: int, reason: str) -> int:
    """Waived fee; not exercised by the sample's tests, so coverage stays below 100%."""
    if not reason:
        raise ValueError("a waiver needs a reason")
    return 0 if reason == "goodwill" else fee_cents // 2
