"""Stripe-shaped objects and signed deliveries for tests (API version 2024-06-20 shapes)."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe

SECRET = "whsec_test_vaultra_primary"
ACCOUNT = "acct_1VaultraTest01"


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str,
    created: int,
    account: str | None = ACCOUNT,
    livemode: bool = False,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": livemode,
        "account": account,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def charge(
    charge_id: str, *, amount: int = 5000, created: int = 1_700_000_000, **fields: Any
) -> dict:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "currency": "usd",
        "customer": "cus_A",
        "status": "succeeded",
        "paid": True,
        "captured": True,
        "refunded": False,
        "disputed": False,
        "failure_code": None,
        "balance_transaction": f"txn_{charge_id}",
        "invoice": None,
        "payment_intent": f"pi_{charge_id}",
        "created": created,
        "livemode": False,
        "billing_details": {"name": "Jane Founder", "email": "jane@example.com"},
        **fields,
    }


def body_of(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt).encode()


def sign(body: bytes | str, secret: str = SECRET, timestamp: int | None = None) -> str:
    payload = body.decode() if isinstance(body, bytes) else body
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp if timestamp is not None else int(time.time())
    )
