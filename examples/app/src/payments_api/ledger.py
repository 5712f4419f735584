"""Double-entry ledger: every transfer debits one account and credits another."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


class LedgerError(ValueError):
    pass


@dataclass
class Ledger:
    balances: dict[str, Decimal] = field(default_factory=dict)

    def open(self, account: str, opening: Decimal = Decimal("0")) -> None:
        if account in self.balances:
            raise LedgerError(f"account {account} exists")
        self.balances[account] = opening

    def transfer(self, source: str, target: str, amount: Decimal) -> None:
        if amount <= 0:
            raise LedgerError("amount must be positive")
        for account in (source, target):
            if account not in self.balances:
                raise LedgerError(f"unknown account {account}")
        if self.balances[source] < amount:
            raise LedgerError("insufficient funds")
        self.balances[source] -= amount
        self.balances[target] += amount

    def total(self) -> Decimal:
        return sum(self.balances.values(), Decimal("0"))
