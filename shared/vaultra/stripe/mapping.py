"""Stripe API objects → ledger rows. Pure functions: no I/O, no clock.

Each mapper takes one Stripe object (a dict, as found in an event's `data.object` or in a list
response) and returns `{table: [row, ...]}`. Rows hold only what metrics need — no names, emails,
addresses or card details. Times are unix seconds (the writer converts them). Rows get their
tenant and version (`business_id`, `livemode`, `version_at`, `version_key`) from the writer.

Objects are read tolerantly across API versions: where Stripe moved a field (e.g. an invoice's
subscription to `parent.subscription_details`, a subscription's period to its items), both places
are read.

Every field read is type-checked (see `vaultra.stripe.fields`): a wrong type is a MalformedObject
naming the object, its id and the field. Fields not read are not looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vaultra.db.row_checks import label
from vaultra.stripe.fields import MalformedObject, Obj, StripeObject

__all__ = ["MAPPERS", "MalformedObject", "Rows", "UnsupportedObject", "normalize"]

Rows = dict[str, list[dict[str, Any]]]


class UnsupportedObject(ValueError):
    """An object Vaultra does not keep (e.g. a product): stored raw, not normalized."""


def customer(obj: Obj) -> Rows:
    f = StripeObject.of(obj)
    return {
        "customers": [
            {
                "id": f.string("id", required=True),
                # A deleted customer's object is only {id, object, deleted}: created stays as known.
                "created": f.time("created"),
                "currency": f.string("currency"),
                "delinquent": f.boolean("delinquent"),
                "deleted": bool(f.boolean("deleted")),
            }
        ]
    }


def charge(obj: Obj) -> Rows:
    f = StripeObject.of(obj)
    rows: Rows = {
        "charges": [
            {
                "id": f.string("id", required=True),
                "created": f.time("created", required=True),
                "customer_id": f.expandable_id("customer"),
                "amount": f.integer("amount", required=True, minimum=0),
                "amount_captured": f.integer("amount_captured", minimum=0) or 0,
                "amount_refunded": f.integer("amount_refunded", minimum=0) or 0,
                "currency": f.currency("currency", required=True),
                "status": f.string("status", required=True),
                "paid": bool(f.boolean("paid")),
                "captured": bool(f.boolean("captured")),
                "refunded": bool(f.boolean("refunded")),
                "disputed": bool(f.boolean("disputed")),
                "failure_code": f.string("failure_code"),
                "balance_transaction_id": f.expandable_id("balance_transaction"),
                "invoice_id": f.expandable_id("invoice"),
                "payment_intent_id": f.expandable_id("payment_intent"),
            }
        ]
    }
    # Older API versions (and `expand[]=refunds`) embed the charge's refunds.
    embedded = f.list_data("refunds")
    if embedded:
        rows["refunds"] = [_refund_row(r) for r in embedded]
    return rows


def refund(obj: Obj) -> Rows:
    return {"refunds": [_refund_row(StripeObject.of(obj))]}


def _refund_row(f: StripeObject) -> dict[str, Any]:
    return {
        "id": f.string("id", required=True),
        "created": f.time("created", required=True),
        "charge_id": f.expandable_id("charge"),
        "amount": f.integer("amount", required=True, minimum=0),
        "currency": f.currency("currency", required=True),
        "status": f.string("status"),
        "reason": f.string("reason"),
        "balance_transaction_id": f.expandable_id("balance_transaction"),
    }


CLOSED_DISPUTE_STATUSES = frozenset({"won", "lost", "warning_closed"})


def dispute(obj: Obj, *, observed_at: int | None = None) -> Rows:
    """`observed_at`: when this state was true (an event's `created`). A dispute has no "closed at"
    field; it is the earliest time a closed state was seen. A backfilled dispute (read now, seen
    closed at no known moment) is dated by what the list API keeps: a won dispute by the
    reinstatement of its funds (its latest balance transaction), any other closed dispute by its
    evidence due date, after which the network decides."""
    f = StripeObject.of(obj)
    status = f.string("status", required=True)
    txn_rows = [_balance_transaction_row(t) for t in f.objects("balance_transactions") or []]
    closed_at = None
    if status in CLOSED_DISPUTE_STATUSES:
        txn_times = [t["created"] for t in txn_rows]
        evidence = f.nested("evidence_details")
        due_by = evidence.time("due_by") if evidence else None
        if observed_at is not None:
            closed_at = observed_at
        elif status == "won" and txn_times:
            closed_at = max(txn_times)
        else:
            closed_at = due_by or (max(txn_times) if txn_times else None)
    rows: Rows = {
        "disputes": [
            {
                "id": f.string("id", required=True),
                "created": f.time("created", required=True),
                "charge_id": f.expandable_id("charge"),
                "amount": f.integer("amount", required=True, minimum=0),
                "currency": f.currency("currency", required=True),
                "status": status,
                "reason": f.string("reason"),
                "closed_at": closed_at,
            }
        ]
    }
    if txn_rows:
        rows["balance_transactions"] = txn_rows
    return rows


def payout(obj: Obj) -> Rows:
    f = StripeObject.of(obj)
    return {
        "payouts": [
            {
                "id": f.string("id", required=True),
                "created": f.time("created", required=True),
                "amount": f.integer("amount", required=True),
                "currency": f.currency("currency", required=True),
                "status": f.string("status", required=True),
                "arrival_date": f.time("arrival_date", required=True),
                "automatic": f.boolean("automatic"),
                "method": f.string("method"),
                "failure_code": f.string("failure_code"),
            }
        ]
    }


def balance_transaction(obj: Obj) -> Rows:
    return {"balance_transactions": [_balance_transaction_row(StripeObject.of(obj))]}


def _balance_transaction_row(f: StripeObject) -> dict[str, Any]:
    amount = f.integer("amount", required=True)
    net = f.integer("net")
    return {
        "id": f.string("id", required=True),
        "created": f.time("created", required=True),
        "amount": amount,
        "fee": f.integer("fee") or 0,
        "net": net if net is not None else amount,
        "currency": f.currency("currency", required=True),
        "type": f.string("type", required=True),
        "reporting_category": f.string("reporting_category"),
        "source_id": f.expandable_id("source"),
        "available_on": f.time("available_on"),
        "exchange_rate": f.number("exchange_rate", minimum=0),
    }


_NO_PRICE: dict[str, Any] = dict.fromkeys(
    ("price_id", "unit_amount", "interval", "interval_count", "usage_type")
)


def _price_fields(line: StripeObject) -> tuple[dict[str, Any], StripeObject | None]:
    """A line's or item's price columns, and its price object if it has one (the legacy `plan`
    of pre-2020 API versions and localstripe has none: no product or currency is read from it)."""
    price = line.expandable("price")
    if price is not None:
        recurring = price.nested("recurring")
        return {
            "price_id": price.string("id"),
            "unit_amount": price.integer("unit_amount", minimum=0),
            "interval": recurring.string("interval") if recurring else None,
            "interval_count": recurring.integer("interval_count", minimum=1) if recurring else None,
            "usage_type": recurring.string("usage_type") if recurring else None,
        }, price
    plan = line.expandable("plan")
    if plan is not None:
        return {
            "price_id": plan.string("id"),
            "unit_amount": plan.integer("amount", minimum=0),
            "interval": plan.string("interval"),
            "interval_count": plan.integer("interval_count", minimum=1),
            "usage_type": plan.string("usage_type") if plan.has("usage_type") else "licensed",
        }, None
    return dict(_NO_PRICE), None


def _invoice_subscription(f: StripeObject) -> str | None:
    if f.expandable_id("subscription") is not None:
        return f.expandable_id("subscription")
    parent = f.nested("parent")
    details = parent.nested("subscription_details") if parent else None
    return details.expandable_id("subscription") if details else None


def invoice(obj: Obj) -> Rows:
    f = StripeObject.of(obj)
    invoice_id = f.string("id", required=True)
    currency = f.currency("currency", required=True)
    created = f.time("created", required=True)
    transitions = f.nested("status_transitions")
    tax = f.integer("tax")
    if tax is None and f.has("total_taxes"):  # since API version 2025-03-31, instead of `tax`
        tax = sum(t.integer("amount") or 0 for t in f.objects("total_taxes") or [])
    rows: Rows = {
        "invoices": [
            {
                "id": invoice_id,
                "created": created,
                "customer_id": f.expandable_id("customer"),
                "subscription_id": _invoice_subscription(f),
                "status": f.string("status"),
                "billing_reason": f.string("billing_reason"),
                "currency": currency,
                "amount_due": f.integer("amount_due") or 0,
                "amount_paid": f.integer("amount_paid") or 0,
                "subtotal": f.integer("subtotal"),
                "total": f.integer("total"),
                "tax": tax,
                "period_start": f.time("period_start"),
                "period_end": f.time("period_end"),
                "paid_at": transitions.time("paid_at") if transitions else None,
            }
        ],
        "invoice_lines": [
            _invoice_line(line, invoice_id, currency, created) for line in f.list_data("lines")
        ],
    }
    return rows


def _invoice_line(
    line: StripeObject, invoice_id: str, currency: str, invoice_created: int
) -> dict[str, Any]:
    period = line.nested("period")
    parent = line.nested("parent")
    details = parent.nested("subscription_item_details") if parent else None
    proration = line.boolean("proration")
    if proration is None:
        proration = bool(details.boolean("proration")) if details else False
    price_columns, _ = _price_fields(line)
    return {
        "id": line.string("id", required=True),
        "created": invoice_created,
        "invoice_id": invoice_id,
        "subscription_id": line.expandable_id("subscription")
        or (details.expandable_id("subscription") if details else None),
        "subscription_item_id": line.expandable_id("subscription_item")
        or (details.expandable_id("subscription_item") if details else None),
        "amount": line.integer("amount") or 0,
        "currency": line.currency("currency") or currency,
        "quantity": line.integer("quantity", minimum=0),
        "proration": proration,
        "period_start": period.time("start") if period else None,
        "period_end": period.time("end") if period else None,
        **price_columns,
    }


def _coupon(discount: StripeObject) -> StripeObject | None:
    """The discount's coupon: on the discount, or under its `source` in newer API versions. A
    coupon given only by its id cannot be read here (None); no coupon at all reads as empty."""
    coupon = discount.expandable("coupon")
    if discount.is_set("coupon"):
        return coupon
    source = discount.nested("source")
    if source is not None:
        coupon = source.expandable("coupon")
        if source.is_set("coupon"):
            return coupon
    return StripeObject.empty()


def _discount(sub: StripeObject) -> dict[str, Any] | None:
    discount = sub.nested("discount")
    references = sub.expandables("discounts")
    if (discount is None or discount.is_empty()) and references:
        discount = references[0]  # None when only its id is given
    if discount is None:
        return None
    coupon = _coupon(discount)
    if coupon is None:
        return None
    return {
        "coupon_id": coupon.string("id"),
        "percent_off": coupon.number("percent_off", minimum=0, maximum=100),
        "amount_off": coupon.integer("amount_off", minimum=0),
        "currency": coupon.string("currency"),
        "duration": coupon.string("duration"),
        "duration_in_months": coupon.integer("duration_in_months", minimum=0),
        "start": discount.time("start"),
        "end": discount.time("end"),
    }


def _subscription_items(sub: StripeObject, items: list[StripeObject]) -> list[dict[str, Any]]:
    sub_currency = sub.string("currency")
    rows = []
    for item in items:
        price_columns, price = _price_fields(item)
        price_currency = price.string("currency") if price else None
        rows.append(
            {
                "item_id": item.string("id", required=True),
                "product_id": price.expandable_id("product") if price else None,
                "currency": (price_currency or sub_currency or "").lower() or None,
                "quantity": item.integer("quantity", minimum=0),
                **price_columns,
            }
        )
    return rows


def subscription(obj: Obj, *, observed_at: int, source: str) -> Rows:
    """`observed_at`: the moment this state began (the event's `created`, or the time a backfill
    read it). `source` is "event" or "snapshot" (see SubscriptionState)."""
    f = StripeObject.of(obj)
    sub_id = f.string("id", required=True)
    created = f.time("created", required=True)
    item_objects = f.list_data("items")
    items = _subscription_items(f, item_objects)
    first_item = item_objects[0] if item_objects else None
    discount = _discount(f)
    status = f.string("status", required=True)
    customer_id = f.expandable_id("customer", required=True)
    currency = f.string("currency")
    ended_at = f.time("ended_at")

    def period(field: str) -> int | None:
        # Since API version 2025-03-31 the period is on each item, not the subscription.
        return f.time(field) or (first_item.time(field) if first_item else None)

    row = {
        "id": sub_id,
        "created": created,
        "customer_id": customer_id,
        "status": status,
        "currency": currency,
        "start_date": f.time("start_date"),
        "trial_start": f.time("trial_start"),
        "trial_end": f.time("trial_end"),
        "current_period_start": period("current_period_start"),
        "current_period_end": period("current_period_end"),
        "cancel_at_period_end": bool(f.boolean("cancel_at_period_end")),
        "canceled_at": f.time("canceled_at"),
        "ended_at": ended_at,
        "discount": discount,
    }
    item_rows = [
        {
            "id": i["item_id"],
            "created": created,
            "subscription_id": sub_id,
            **{k: v for k, v in i.items() if k != "item_id"},
        }
        for i in items
    ]
    # A state begins when it was observed — except an ended subscription, whose MRR stops at
    # `ended_at` (the end of the paid period), not when the event announcing it was sent.
    valid_from = ended_at if status == "canceled" and ended_at else observed_at
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
        "ended_at": ended_at,
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


def normalize(obj: Any, *, observed_at: int, source: str) -> Rows:
    """Map any supported Stripe object; raises UnsupportedObject or MalformedObject."""
    kind = StripeObject.of(obj).string("object", required=True)
    if kind == "subscription":
        return subscription(obj, observed_at=observed_at, source=source)
    if kind == "dispute":
        return dispute(obj, observed_at=observed_at if source == "event" else None)
    mapper = MAPPERS.get(kind)
    if mapper is None:
        raise UnsupportedObject(f"Vaultra does not keep `{label(kind)}` objects")
    return mapper(obj)
