from decimal import Decimal

import pytest

from payments_api.ledger import Ledger, LedgerError


def test_transfer_moves_money_and_keeps_total():
    ledger = Ledger()
    ledger.open("a", Decimal("100"))
    ledger.open("b")
    ledger.transfer("a", "b", Decimal("40"))
    assert ledger.balances == {"a": Decimal("60"), "b": Decimal("40")}
    assert ledger.total() == Decimal("100")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_non_positive_amounts_are_refused(amount):
    ledger = Ledger()
    ledger.open("a", Decimal("10"))
    ledger.open("b")
    with pytest.raises(LedgerError):
        ledger.transfer("a", "b", amount)


def test_overdraft_and_unknown_accounts_are_refused():
    ledger = Ledger()
    ledger.open("a", Decimal("10"))
    with pytest.raises(LedgerError):
        ledger.transfer("a", "zzz", Decimal("1"))
    ledger.open("b")
    with pytest.raises(LedgerError):
        ledger.transfer("a", "b", Decimal("11"))
    with pytest.raises(LedgerError):
        ledger.open("a")
