"""Request handling for the payments service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import idna

from payments_api.ledger import Ledger, LedgerError


def merchant_host(name: str) -> str:
    """The merchant's callback host in ASCII (IDNA), as the payment network requires."""
    return idna.encode(name).decode("ascii")


def handle_transfer(ledger: Ledger, request: dict[str, str]) -> tuple[int, str]:
    try:
        amount = Decimal(request["amount"])
        ledger.transfer(request["from"], request["to"], amount)
    except (KeyError, InvalidOperation):
        return 400, "malformed request"
    except LedgerError as exc:
        return 409, str(exc)
    return 200, "ok"


def health() -> dict[str, str]:
    return {"status": "ok"}
