from decimal import Decimal

from payments_api.api import handle_transfer, merchant_host
from payments_api.ledger import Ledger


def make_ledger():
    ledger = Ledger()
    ledger.open("alice", Decimal("50"))
    ledger.open("bob")
    return ledger


def test_transfer_request_round_trip():
    ledger = make_ledger()
    assert handle_transfer(ledger, {"from": "alice", "to": "bob", "amount": "20"}) == (200, "ok")
    assert ledger.balances["bob"] == Decimal("20")


def test_bad_requests_are_rejected():
    ledger = make_ledger()
    assert handle_transfer(ledger, {"from": "alice"})[0] == 400
    assert handle_transfer(ledger, {"from": "alice", "to": "bob", "amount": "x"})[0] == 400
    assert handle_transfer(ledger, {"from": "alice", "to": "bob", "amount": "500"})[0] == 409


def test_merchant_host_is_idna_encoded():
    assert merchant_host("bücher.example") == "xn--bcher-kva.example"
