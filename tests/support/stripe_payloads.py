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


def refund(refund_id: str, *, charge: str, amount: int, currency: str, created: int) -> dict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": f"txn_{refund_id}",
        "charge": charge,
        "created": created,
        "currency": currency,
        "payment_intent": f"pi_{charge}",
        "reason": "requested_by_customer",
        "status": "succeeded",
    }


def dispute(
    dispute_id: str,
    *,
    charge: str,
    amount: int,
    currency: str,
    created: int,
    balance_transactions: list[dict[str, Any]] | None = None,
) -> dict:
    """A dispute as Stripe sends it: its balance transactions (zero to two: the withdrawal, the
    reinstatement) embedded whole, never as ids."""
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": balance_transactions or [],
        "charge": charge,
        "created": created,
        "currency": currency,
        "evidence_details": {
            "due_by": created + 14 * 86_400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": f"pi_{charge}",
        "reason": "fraudulent",
        "status": "needs_response",
    }


def balance_transaction(
    txn_id: str,
    *,
    source: str,
    amount: int,
    created: int,
    currency: str = "usd",
    fee: int = 0,
    exchange_rate: float | None = None,
    kind: str = "charge",
) -> dict:
    """A balance transaction as `GET /v1/balance_transactions/{id}` answers it (2024-06-20)."""
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86_400,
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": {"adjustment": "dispute"}.get(kind, kind),
        "source": source,
        "status": "pending",
        "type": kind,
    }


def body_of(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt).encode()


def sign(body: bytes | str, secret: str = SECRET, timestamp: int | None = None) -> str:
    payload = body.decode() if isinstance(body, bytes) else body
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp if timestamp is not None else int(time.time())
    )
