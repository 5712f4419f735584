"""Integration tests of fees with accounts. With SAMPLE_PROJECT_BREAK=1 one test fails and
one errors in its fixture, so the same project also produces failing evidence."""

import os

import pytest
from ledger.accounts import balance, transfer
from ledger.fees import fee

BROKEN = os.environ.get("SAMPLE_PROJECT_BREAK") == "1"


@pytest.fixture
def ledger():
    if BROKEN:
        raise RuntimeError("ledger database unavailable")
    return [("alice", 1000)]


def test_basic_tier_pays_two_percent():
    assert fee(1000, "basic") == (21 if BROKEN else 20)


def test_premium_tier_pays_nothing():
    assert fee(1000, "premium") == 0


def test_unknown_tier_is_refused():
    with pytest.raises(KeyError):
        fee(1000, "gold")


def test_fee_is_booked_with_the_transfer(ledger):
    charged = fee(500, "plus")
    booked = transfer(ledger, "alice", "bank", charged)
    assert balance(booked, "bank") == charged
