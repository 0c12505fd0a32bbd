"""A small, hand-written Stripe account history whose every number is known (for backfill tests).

Times are relative to NOW; the account has one subscription with a trial, three billed periods, a
quantity change announced by an event 10 days ago, a refund, a won dispute, and two payouts.
"""

from __future__ import annotations

from typing import Any

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
DAY = 86_400
ACCOUNT = "acct_1HandMadeHist01"

PRICE = {
    "id": "price_seat",
    "object": "price",
    "unit_amount": 1000,
    "currency": "usd",
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
    "product": "prod_1",
    "type": "recurring",
    "created": NOW - 400 * DAY,
}


def _sub(quantity: int) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": "active",
        "created": NOW - 100 * DAY,
        "start_date": NOW - 100 * DAY,
        "currency": "usd",
        "trial_start": NOW - 100 * DAY,
        "trial_end": NOW - 86 * DAY,
        "current_period_start": NOW - 26 * DAY,
        "current_period_end": NOW + 4 * DAY,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "discount": None,
        "items": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "price": PRICE,
                    "quantity": quantity,
                    "created": NOW - 100 * DAY,
                    "subscription": "sub_1",
                }
            ],
        },
    }


def _invoice(n: int, start_days: int, amount: int, charge: str | None) -> dict[str, Any]:
    start, end = NOW - start_days * DAY, NOW - (start_days - 30) * DAY
    return {
        "id": f"in_{n}",
        "object": "invoice",
        "customer": "cus_1",
        "subscription": "sub_1",
        "status": "paid",
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "amount_due": amount,
        "amount_paid": amount,
        "subtotal": amount,
        "total": amount,
        "tax": None,
        "period_start": start,
        "period_end": end,
        "created": start,
        "charge": charge,
        "status_transitions": {"paid_at": start + 60},
        "lines": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": f"il_{n}",
                    "object": "line_item",
                    "type": "subscription",
                    "subscription": "sub_1",
                    "subscription_item": "si_1",
                    "price": PRICE,
                    "quantity": 2,
                    "amount": amount,
                    "currency": "usd",
                    "proration": False,
                    "period": {"start": start, "end": end},
                }
            ],
        },
    }


def _charge(n: int, created: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"ch_{n}",
        "object": "charge",
        "amount": 2000,
        "amount_captured": 2000,
        "amount_refunded": 0,
        "currency": "usd",
        "customer": "cus_1",
        "status": "succeeded",
        "paid": True,
        "captured": True,
        "refunded": False,
        "disputed": False,
        "failure_code": None,
        "balance_transaction": f"txn_ch_{n}",
        "invoice": f"in_{n}",
        "payment_intent": f"pi_{n}",
        "created": created,
        **extra,
    }


def _txn(txn_id: str, amount: int, created: int, kind: str, category: str, source: str) -> dict:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "fee": 0,
        "net": amount,
        "currency": "usd",
        "type": kind,
        "reporting_category": category,
        "source": source,
        "created": created,
        "available_on": created + 2 * DAY,
        "exchange_rate": None,
    }


def objects() -> dict[str, list[dict[str, Any]]]:
    dispute_txns = [
        _txn("txn_dp_w", -2000, NOW - 80 * DAY, "adjustment", "dispute", "dp_1"),
        _txn("txn_dp_r", 2000, NOW - 60 * DAY, "adjustment", "dispute_reversal", "dp_1"),
    ]
    return {
        "customers": [
            {
                "id": "cus_2",
                "object": "customer",
                "created": NOW - 40 * DAY,
                "currency": "usd",
                "delinquent": False,
                "email": "b@example.com",
                "name": "B",
            },
            {
                "id": "cus_1",
                "object": "customer",
                "created": NOW - 100 * DAY,
                "currency": "usd",
                "delinquent": False,
                "email": "a@example.com",
                "name": "A",
            },
        ],
        "prices": [PRICE],
        "subscriptions": [_sub(quantity=3)],
        "invoices": [
            _invoice(3, 26, 3000, "ch_3"),
            _invoice(2, 56, 2000, "ch_2"),
            _invoice(1, 86, 2000, "ch_1"),
            _invoice(0, 100, 0, None),
        ],
        "charges": [
            _charge(3, NOW - 26 * DAY + 30),
            _charge(2, NOW - 56 * DAY + 30, amount_refunded=500),
            _charge(1, NOW - 86 * DAY + 30, disputed=True),
        ],
        "refunds": [
            {
                "id": "re_1",
                "object": "refund",
                "amount": 500,
                "charge": "ch_2",
                "currency": "usd",
                "status": "succeeded",
                "reason": "requested_by_customer",
                "created": NOW - 50 * DAY,
                "balance_transaction": "txn_re_1",
            },
        ],
        "disputes": [
            {
                "id": "dp_1",
                "object": "dispute",
                "amount": 2000,
                "charge": "ch_1",
                "currency": "usd",
                "status": "won",
                "reason": "fraudulent",
                "created": NOW - 80 * DAY,
                "balance_transactions": dispute_txns,
            },
        ],
        "payouts": [
            {
                "id": "po_2",
                "object": "payout",
                "amount": 1500,
                "currency": "usd",
                "status": "failed",
                "arrival_date": NOW - 20 * DAY,
                "created": NOW - 22 * DAY,
                "automatic": True,
                "method": "standard",
                "failure_code": "account_closed",
            },
            {
                "id": "po_1",
                "object": "payout",
                "amount": 2000,
                "currency": "usd",
                "status": "paid",
                "arrival_date": NOW - 52 * DAY,
                "created": NOW - 54 * DAY,
                "automatic": True,
                "method": "standard",
                "failure_code": None,
            },
        ],
        "balance_transactions": [
            _txn("txn_ch_3", 2000, NOW - 26 * DAY + 30, "charge", "charge", "ch_3"),
            _txn("txn_ch_2", 2000, NOW - 56 * DAY + 30, "charge", "charge", "ch_2"),
            _txn("txn_re_1", -500, NOW - 50 * DAY, "refund", "refund", "re_1"),
            _txn("txn_ch_1", 2000, NOW - 86 * DAY + 30, "charge", "charge", "ch_1"),
        ],
    }


def events() -> list[dict[str, Any]]:
    """Two subscription events: one 10 days ago (listed), one 40 days ago (beyond retention)."""

    def evt(event_id: str, created: int, quantity: int) -> dict[str, Any]:
        return {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "livemode": False,
            "type": "customer.subscription.updated",
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": _sub(quantity)},
        }

    return [evt("evt_old", NOW - 40 * DAY, 2), evt("evt_recent", NOW - 10 * DAY, 3)]
