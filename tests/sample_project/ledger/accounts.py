"""Account balances from journal entries."""

from __future__ import annotations


def balance(entries: list[tuple[str, int]], account: str) -> int:
    """Sum of the amounts booked to ``account``."""
    return sum(amount for name, amount in entries if name == account)


def transfer(
    entries: list[tuple[str, int]], source: str, target: str, amount: int
) -> list[tuple[str, int]]:
    """Book ``amount`` from ``source`` to ``target``; refuses overdrafts."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    if balance(entries, source) < amount:
        raise ValueError("insufficient funds")
    return [*entries, (source, -amount), (target, amount)]
