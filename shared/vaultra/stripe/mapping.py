"""Stripe API objects → ledger rows. Pure functions: no I/O, no clock.

Each mapper takes one Stripe object (a dict, as found in an event's `data.object` or in a list
response) and returns `{table: [row, ...]}`. Rows hold only what metrics need — no names, emails,
addresses or card details. Times are unix seconds (the writer converts them). Rows get their
tenant and version (`business_id`, `livemode`, `version_at`, `version_key`) from the writer.

Objects are read tolerantly across API versions: where Stripe moved a field (e.g. an invoice's
subscription to `parent.subscription_details`, a subscription's period to its items), both places
are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Rows = dict[str, list[dict[str, Any]]]
Obj = dict[str, Any]


class UnsupportedObject(ValueError):
    """An object Vaultra does not keep (e.g. a product): stored raw, not normalized."""


class MalformedObject(ValueError):
    """A Stripe object missing what its type requires. The message names the field."""


def _req(obj: Obj, field: str) -> Any:
    value = obj.get(field)
    if value is None:
        raise MalformedObject(
            f"{obj.get('object', 'object')} {obj.get('id', '?')}: missing `{field}`"
        )
    return value


def _id(ref: Any) -> str | None:
    """An expandable field: an id, an expanded object, or null."""
    if ref is None:
        return None
    if isinstance(ref, dict):
        return ref.get("id")
    return str(ref)


def _cur(value: Any) -> str:
    return str(value).lower()


def customer(obj: Obj) -> Rows:
    return {
        "customers": [
            {
                "id": _req(obj, "id"),
                # A deleted customer's object is only {id, object, deleted}: created stays as known.
                "created": obj.get("created"),
                "currency": obj.get("currency"),
                "delinquent": obj.get("delinquent"),
                "deleted": bool(obj.get("deleted", False)),
            }
        ]
    }


def charge(obj: Obj) -> Rows:
    rows: Rows = {
        "charges": [
            {
                "id": _req(obj, "id"),
                "created": _req(obj, "created"),
                "customer_id": _id(obj.get("customer")),
                "amount": _req(obj, "amount"),
                "amount_captured": obj.get("amount_captured") or 0,
                "amount_refunded": obj.get("amount_refunded") or 0,
                "currency": _cur(_req(obj, "currency")),
                "status": _req(obj, "status"),
                "paid": bool(obj.get("paid")),
                "captured": bool(obj.get("captured")),
                "refunded": bool(obj.get("refunded")),
                "disputed": bool(obj.get("disputed")),
                "failure_code": obj.get("failure_code"),
                "balance_transaction_id": _id(obj.get("balance_transaction")),
                "invoice_id": _id(obj.get("invoice")),
                "payment_intent_id": _id(obj.get("payment_intent")),
            }
        ]
    }
    # Older API versions (and `expand[]=refunds`) embed the charge's refunds.
    embedded = (obj.get("refunds") or {}).get("data") or []
    if embedded:
        rows["refunds"] = [refund(r)["refunds"][0] for r in embedded]
    return rows


def refund(obj: Obj) -> Rows:
    return {
        "refunds": [
            {
                "id": _req(obj, "id"),
                "created": _req(obj, "created"),
                "charge_id": _id(obj.get("charge")),
                "amount": _req(obj, "amount"),
                "currency": _cur(_req(obj, "currency")),
                "status": obj.get("status"),
                "reason": obj.get("reason"),
                "balance_transaction_id": _id(obj.get("balance_transaction")),
            }
        ]
    }


CLOSED_DISPUTE_STATUSES = frozenset({"won", "lost", "warning_closed"})


def dispute(obj: Obj, *, observed_at: int | None = None) -> Rows:
    """`observed_at`: when this state was true (an event's `created`). A dispute has no "closed at"
    field; it is the earliest time a closed state was seen. A backfilled dispute (read now, seen
    closed at no known moment) is dated by what the list API keeps: a won dispute by the
    reinstatement of its funds (its latest balance transaction), any other closed dispute by its
    evidence due date, after which the network decides."""
    status = _req(obj, "status")
    closed_at = None
    if status in CLOSED_DISPUTE_STATUSES:
        txn_times = [
            t["created"]
            for t in obj.get("balance_transactions") or []
            if isinstance(t, dict) and t.get("created") is not None
        ]
        due_by = (obj.get("evidence_details") or {}).get("due_by")
        if observed_at is not None:
            closed_at = observed_at
        elif status == "won" and txn_times:
            closed_at = max(txn_times)
        else:
            closed_at = due_by or (max(txn_times) if txn_times else None)
    rows: Rows = {
        "disputes": [
            {
                "id": _req(obj, "id"),
                "created": _req(obj, "created"),
                "charge_id": _id(obj.get("charge")),
                "amount": _req(obj, "amount"),
                "currency": _cur(_req(obj, "currency")),
                "status": status,
                "reason": obj.get("reason"),
                "closed_at": closed_at,
            }
        ]
    }
    txns = [t for t in obj.get("balance_transactions") or [] if isinstance(t, dict)]
    if txns:
        rows["balance_transactions"] = [
            balance_transaction(t)["balance_transactions"][0] for t in txns
        ]
    return rows


def payout(obj: Obj) -> Rows:
    return {
        "payouts": [
            {
                "id": _req(obj, "id"),
                "created": _req(obj, "created"),
                "amount": _req(obj, "amount"),
                "currency": _cur(_req(obj, "currency")),
                "status": _req(obj, "status"),
                "arrival_date": _req(obj, "arrival_date"),
                "automatic": obj.get("automatic"),
                "method": obj.get("method"),
                "failure_code": obj.get("failure_code"),
            }
        ]
    }


def balance_transaction(obj: Obj) -> Rows:
    return {
        "balance_transactions": [
            {
                "id": _req(obj, "id"),
                "created": _req(obj, "created"),
                "amount": _req(obj, "amount"),
                "fee": obj.get("fee") or 0,
                "net": obj.get("net") if obj.get("net") is not None else _req(obj, "amount"),
                "currency": _cur(_req(obj, "currency")),
                "type": _req(obj, "type"),
                "reporting_category": obj.get("reporting_category"),
                "source_id": _id(obj.get("source")),
                "available_on": obj.get("available_on"),
                "exchange_rate": obj.get("exchange_rate"),
            }
        ]
    }


def _price_fields(price: Obj | None) -> dict[str, Any]:
    price = price or {}
    recurring = price.get("recurring") or {}
    return {
        "price_id": price.get("id"),
        "unit_amount": price.get("unit_amount"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "usage_type": recurring.get("usage_type"),
    }


def _line_price(line: Obj) -> Obj | None:
    if isinstance(line.get("price"), dict):
        return line["price"]
    if isinstance(line.get("plan"), dict):  # pre-2020 API versions and localstripe
        plan = line["plan"]
        return {
            "id": plan.get("id"),
            "unit_amount": plan.get("amount"),
            "recurring": {
                "interval": plan.get("interval"),
                "interval_count": plan.get("interval_count"),
                "usage_type": plan.get("usage_type", "licensed"),
            },
        }
    return None


def _invoice_subscription(obj: Obj) -> str | None:
    if obj.get("subscription") is not None:
        return _id(obj.get("subscription"))
    details = ((obj.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription"))


def invoice(obj: Obj) -> Rows:
    invoice_id = _req(obj, "id")
    currency = _cur(_req(obj, "currency"))
    transitions = obj.get("status_transitions") or {}
    tax = obj.get("tax")
    if tax is None and obj.get("total_taxes") is not None:
        tax = sum(t.get("amount", 0) for t in obj["total_taxes"])
    rows: Rows = {
        "invoices": [
            {
                "id": invoice_id,
                "created": _req(obj, "created"),
                "customer_id": _id(obj.get("customer")),
                "subscription_id": _invoice_subscription(obj),
                "status": obj.get("status"),
                "billing_reason": obj.get("billing_reason"),
                "currency": currency,
                "amount_due": obj.get("amount_due") or 0,
                "amount_paid": obj.get("amount_paid") or 0,
                "subtotal": obj.get("subtotal"),
                "total": obj.get("total"),
                "tax": tax,
                "period_start": obj.get("period_start"),
                "period_end": obj.get("period_end"),
                "paid_at": transitions.get("paid_at"),
            }
        ],
        "invoice_lines": [],
    }
    for line in (obj.get("lines") or {}).get("data") or []:
        rows["invoice_lines"].append(invoice_line(line, invoice_id, currency, obj["created"]))
    return rows


def invoice_line(line: Obj, invoice_id: str, currency: str, invoice_created: int) -> dict[str, Any]:
    period = line.get("period") or {}
    parent = (line.get("parent") or {}).get("subscription_item_details") or {}
    proration = line.get("proration")
    if proration is None:
        proration = bool(parent.get("proration"))
    return {
        "id": _req(line, "id"),
        "created": invoice_created,
        "invoice_id": invoice_id,
        "subscription_id": _id(line.get("subscription")) or parent.get("subscription"),
        "subscription_item_id": _id(line.get("subscription_item"))
        or parent.get("subscription_item"),
        "amount": line.get("amount") or 0,
        "currency": _cur(line.get("currency") or currency),
        "quantity": line.get("quantity"),
        "proration": bool(proration),
        "period_start": period.get("start"),
        "period_end": period.get("end"),
        **_price_fields(_line_price(line)),
    }


def _discount(obj: Obj) -> dict[str, Any] | None:
    discount = obj.get("discount")
    if not discount and obj.get("discounts"):
        first = obj["discounts"][0]
        discount = first if isinstance(first, dict) else None
    if not isinstance(discount, dict):
        return None
    coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon") or {}
    if not isinstance(coupon, dict):
        return None
    return {
        "coupon_id": coupon.get("id"),
        "percent_off": coupon.get("percent_off"),
        "amount_off": coupon.get("amount_off"),
        "currency": coupon.get("currency"),
        "duration": coupon.get("duration"),
        "duration_in_months": coupon.get("duration_in_months"),
        "start": discount.get("start"),
        "end": discount.get("end"),
    }


def subscription_items(obj: Obj) -> list[dict[str, Any]]:
    items = []
    for item in (obj.get("items") or {}).get("data") or []:
        price = _line_price(item)
        items.append(
            {
                "item_id": _req(item, "id"),
                "product_id": _id((price or {}).get("product")),
                "currency": _cur((price or {}).get("currency") or obj.get("currency") or "")
                or None,
                "quantity": item.get("quantity"),
                **_price_fields(price),
            }
        )
    return items


def subscription(obj: Obj, *, observed_at: int, source: str) -> Rows:
    """`observed_at`: the moment this state began (the event's `created`, or the time a backfill
    read it). `source` is "event" or "snapshot" (see SubscriptionState)."""
    sub_id = _req(obj, "id")
    items = subscription_items(obj)
    first_item = ((obj.get("items") or {}).get("data") or [{}])[0]
    discount = _discount(obj)
    status = _req(obj, "status")
    customer_id = _id(_req(obj, "customer"))
    currency = obj.get("currency")
    row = {
        "id": sub_id,
        "created": _req(obj, "created"),
        "customer_id": customer_id,
        "status": status,
        "currency": currency,
        "start_date": obj.get("start_date"),
        "trial_start": obj.get("trial_start"),
        "trial_end": obj.get("trial_end"),
        "current_period_start": obj.get("current_period_start")
        or first_item.get("current_period_start"),
        "current_period_end": obj.get("current_period_end") or first_item.get("current_period_end"),
        "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
        "canceled_at": obj.get("canceled_at"),
        "ended_at": obj.get("ended_at"),
        "discount": discount,
    }
    item_rows = [
        {
            "id": i["item_id"],
            "created": obj["created"],
            "subscription_id": sub_id,
            **{k: v for k, v in i.items() if k != "item_id"},
        }
        for i in items
    ]
    # A state begins when it was observed — except an ended subscription, whose MRR stops at
    # `ended_at` (the end of the paid period), not when the event announcing it was sent.
    valid_from = (
        obj.get("ended_at") if status == "canceled" and obj.get("ended_at") else observed_at
    )
    state = {
        "subscription_id": sub_id,
        "valid_from": valid_from,
        "source": source,
        "customer_id": customer_id,
        "status": status,
        "currency": currency,
        "items": items,
        "discount": discount,
        "cancel_at_period_end": row["cancel_at_period_end"],
        "ended_at": obj.get("ended_at"),
    }
    return {"subscriptions": [row], "subscription_items": item_rows, "subscription_states": [state]}


MAPPERS: dict[str, Callable[..., Rows]] = {
    "customer": customer,
    "charge": charge,
    "refund": refund,
    "dispute": dispute,
    "payout": payout,
    "balance_transaction": balance_transaction,
    "invoice": invoice,
    "subscription": subscription,
}


def normalize(obj: Obj, *, observed_at: int, source: str) -> Rows:
    """Map any supported Stripe object; raises UnsupportedObject or MalformedObject."""
    if not isinstance(obj, dict):
        raise MalformedObject("event `data.object` is not an object")
    kind = obj.get("object")
    if kind == "subscription":
        return subscription(obj, observed_at=observed_at, source=source)
    if kind == "dispute":
        return dispute(obj, observed_at=observed_at if source == "event" else None)
    mapper = MAPPERS.get(str(kind))
    if mapper is None:
        raise UnsupportedObject(f"Vaultra does not keep `{kind}` objects")
    return mapper(obj)
