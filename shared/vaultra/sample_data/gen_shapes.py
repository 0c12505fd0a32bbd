"""Constructors for Stripe API objects as API version 2024-06-20 renders them.

Each function returns a fresh dict with every field a real object carries (nulls included), so that
code written against the generator also works against Stripe. The simulation mutates these dicts
in place; the recorder snapshots them into events.
"""

from __future__ import annotations

from typing import Any

from vaultra.sample_data.gen_core import Obj, clone, iso_date


def customer(
    cid: str, created: int, *, name: str, email: str, livemode: bool, prefix: str, pm: str | None
) -> Obj:
    return {
        "id": cid,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,  # set by Stripe with the customer's first subscription or invoice
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": pm,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": livemode,
        "metadata": {},
        "name": name,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(
    pid: str, created: int, *, name: str, livemode: bool, unit_label: str | None = None
) -> Obj:
    return {
        "id": pid,
        "object": "product",
        "active": True,
        "attributes": [],
        "created": created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": livemode,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": unit_label,
        "updated": created,
        "url": None,
    }


def price(
    pid: str,
    created: int,
    *,
    product_id: str,
    unit_amount: int,
    currency: str,
    livemode: bool,
    nickname: str | None,
    interval: str | None = None,
    interval_count: int = 1,
    usage_type: str = "licensed",
) -> Obj:
    recurring = None
    if interval is not None:
        recurring = {
            "aggregate_usage": "sum" if usage_type == "metered" else None,
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": usage_type,
        }
    return {
        "id": pid,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": livemode,
        "lookup_key": None,
        "metadata": {},
        "nickname": nickname,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan_of(price_obj: Obj) -> Obj | None:
    """The legacy `plan` view of a recurring price, still embedded beside `price` in 2024-06-20."""
    recurring = price_obj["recurring"]
    if recurring is None:
        return None
    return {
        "id": price_obj["id"],
        "object": "plan",
        "active": price_obj["active"],
        "aggregate_usage": recurring["aggregate_usage"],
        "amount": price_obj["unit_amount"],
        "amount_decimal": price_obj["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price_obj["created"],
        "currency": price_obj["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": price_obj["livemode"],
        "metadata": {},
        "meter": None,
        "nickname": price_obj["nickname"],
        "product": price_obj["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring["usage_type"],
    }


def coupon(
    code: str,
    created: int,
    *,
    name: str,
    duration: str,
    livemode: bool,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
    duration_in_months: int | None = None,
) -> Obj:
    return {
        "id": code,
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": currency if amount_off is not None else None,
        "duration": duration,
        "duration_in_months": duration_in_months,
        "livemode": livemode,
        "max_redemptions": None,
        "metadata": {},
        "name": name,
        "percent_off": percent_off,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def discount(
    did: str,
    coupon_obj: Obj,
    *,
    customer_id: str,
    subscription_id: str,
    start: int,
    end: int | None,
) -> Obj:
    return {
        "id": did,
        "object": "discount",
        "checkout_session": None,
        "coupon": clone(coupon_obj),
        "customer": customer_id,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "start": start,
        "subscription": subscription_id,
        "subscription_item": None,
    }


def subscription_item(
    si_id: str, created: int, *, price_obj: Obj, quantity: int | None, subscription_id: str
) -> Obj:
    item: Obj = {
        "id": si_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "discounts": [],
        "metadata": {},
        "plan": plan_of(price_obj),
        "price": clone(price_obj),
        "subscription": subscription_id,
        "tax_rates": [],
    }
    if quantity is not None:  # metered items have no quantity: usage is reported instead
        item["quantity"] = quantity
    return item


def subscription(
    sub_id: str,
    created: int,
    *,
    customer_id: str,
    currency: str,
    items: list[Obj],
    livemode: bool,
    status: str,
    period_start: int,
    period_end: int,
    trial_start: int | None,
    trial_end: int | None,
    pm: str | None,
) -> Obj:
    sub: Obj = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None},
        "billing_cycle_anchor": period_start,
        "billing_cycle_anchor_config": None,
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "current_period_end": period_end,
        "current_period_start": period_start,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": pm,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": embedded_list(items, f"/v1/subscription_items?subscription={sub_id}"),
        "latest_invoice": None,
        "livemode": livemode,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "plan": None,
        "quantity": None,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": trial_start,
    }
    sync_subscription_items(sub)
    return sub


def sync_subscription_items(sub: Obj) -> None:
    """Keeps the legacy single-plan fields (`plan`, `quantity`) and the list count in step with the
    items: Stripe fills them only when the subscription has exactly one item."""
    data = sub["items"]["data"]
    sub["items"]["total_count"] = len(data)
    single = data[0] if len(data) == 1 else None
    sub["plan"] = clone(single["plan"]) if single else None
    sub["quantity"] = single.get("quantity") if single else None


def line_item(
    il_id: str,
    *,
    invoice_id: str,
    price_obj: Obj,
    quantity: int,
    amount: int,
    period_start: int,
    period_end: int,
    livemode: bool,
    description: str,
    subscription_id: str | None,
    subscription_item_id: str | None,
    proration: bool = False,
    invoice_item_id: str | None = None,
) -> Obj:
    # Recurring charges render as "subscription" lines; prorations and one-off items are invoice
    # items that were pending on the customer until this invoice swept them up.
    kind = "invoiceitem" if invoice_item_id else "subscription"
    return {
        "id": il_id,
        "object": "line_item",
        "amount": amount,
        "amount_excluding_tax": amount,
        "currency": price_obj["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "invoice_item": invoice_item_id,
        "livemode": livemode,
        "metadata": {},
        "period": {"end": period_end, "start": period_start},
        "plan": plan_of(price_obj),
        "price": clone(price_obj),
        "proration": proration,
        "proration_details": {"credited_items": None},
        "quantity": quantity,
        "subscription": subscription_id,
        "subscription_item": subscription_item_id,
        "tax_amounts": [],
        "tax_rates": [],
        "type": kind,
        "unit_amount_excluding_tax": str(price_obj["unit_amount"]),
    }


def invoice(
    inv_id: str,
    created: int,
    *,
    customer_obj: Obj,
    subscription_id: str | None,
    billing_reason: str,
    currency: str,
    lines: list[Obj],
    period_start: int,
    period_end: int,
    livemode: bool,
    account_name: str,
) -> Obj:
    subtotal = sum(line["amount"] for line in lines)
    # A credit larger than the charges (a downgrade's proration) is not collected as a negative
    # payment: Stripe leaves nothing due and credits the customer's balance.
    due = max(subtotal, 0)
    return {
        "id": inv_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": account_name,
        "account_tax_ids": None,
        "amount_due": due,
        "amount_paid": 0,
        "amount_remaining": due,
        "amount_shipping": 0,
        "application": None,
        "application_fee_amount": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": billing_reason,
        "charge": None,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "customer": customer_obj["id"],
        "customer_address": None,
        "customer_email": customer_obj["email"],
        "customer_name": customer_obj["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": embedded_list(lines, f"/v1/invoices/{inv_id}/lines"),
        "livemode": livemode,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "paid": False,
        "paid_out_of_band": False,
        "payment_intent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": None,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": subscription_id,
        "subscription_details": {"metadata": {}},
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "tax": None,
        "test_clock": None,
        "total": subtotal,
        "total_discount_amounts": [],
        "total_excluding_tax": subtotal,
        "total_tax_amounts": [],
        "transfer_data": None,
        "webhooks_delivered_at": None,
    }


def card(brand: str, last4: str, exp_month: int, exp_year: int, country: str, funding: str) -> Obj:
    return {
        "brand": brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": "pass",
            "cvc_check": "pass",
        },
        "country": country,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": None,
        "funding": funding,
        "installments": None,
        "last4": last4,
        "mandate": None,
        "network": brand,
        "network_token": {"used": False},
        "three_d_secure": None,
        "wallet": None,
    }


def charge(
    ch_id: str,
    created: int,
    *,
    amount: int,
    currency: str,
    customer_id: str | None,
    email: str | None,
    name: str | None,
    payment_intent: str,
    payment_method: str,
    card_details: Obj,
    invoice_id: str | None,
    description: str | None,
    livemode: bool,
    statement_descriptor: str,
) -> Obj:
    return {
        "id": ch_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": {
                "city": None,
                "country": card_details["country"],
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": email,
            "name": name,
            "phone": None,
        },
        "calculated_statement_descriptor": statement_descriptor,
        "captured": False,
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "invoice": invoice_id,
        "livemode": livemode,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": None,
        "paid": False,
        "payment_intent": payment_intent,
        "payment_method": payment_method,
        "payment_method_details": {"card": clone(card_details), "type": "card"},
        "radar_options": {},
        "receipt_email": email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": embedded_list([], f"/v1/charges/{ch_id}/refunds"),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "pending",
        "transfer_data": None,
        "transfer_group": None,
    }


def outcome(*, succeeded: bool, risk_score: int, decline_reason: str | None = None) -> Obj:
    risk_level = "elevated" if risk_score >= 65 else "normal"
    if succeeded:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": risk_level,
            "risk_score": risk_score,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": decline_reason,
        "risk_level": risk_level,
        "risk_score": risk_score,
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def payment_intent(
    pi_id: str,
    created: int,
    *,
    amount: int,
    currency: str,
    customer_id: str | None,
    invoice_id: str | None,
    payment_method: str,
    description: str | None,
    livemode: bool,
) -> Obj:
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": None,
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "invoice": invoice_id,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": livemode,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_types": ["card"],
        "receipt_email": None,
        "review": None,
        "setup_future_usage": "off_session" if invoice_id else None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_confirmation",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(
    re_id: str,
    created: int,
    *,
    amount: int,
    charge_obj: Obj,
    reason: str | None,
    status: str,
    balance_transaction: str | None,
    livemode: bool,
) -> Obj:
    return {
        "id": re_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "livemode": livemode,
        "metadata": {},
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def dispute(
    dp_id: str,
    created: int,
    *,
    charge_obj: Obj,
    reason: str,
    status: str,
    due_by: int,
    livemode: bool,
) -> Obj:
    return {
        "id": dp_id,
        "object": "dispute",
        "amount": charge_obj["amount"],
        "balance_transactions": [],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "evidence": {
            "access_activity_log": None,
            "billing_address": None,
            "cancellation_policy": None,
            "customer_communication": None,
            "customer_email_address": charge_obj["billing_details"]["email"],
            "customer_name": charge_obj["billing_details"]["name"],
            "product_description": None,
            "receipt": None,
            "refund_policy": None,
            "service_date": None,
            "shipping_documentation": None,
            "uncategorized_text": None,
        },
        "evidence_details": {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": livemode,
        "metadata": {},
        "network_reason_code": None,
        "payment_intent": charge_obj["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": charge_obj["payment_method_details"]["card"]["brand"],
                "case_type": "inquiry" if status.startswith("warning") else "chargeback",
                "network_reason_code": None,
            },
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }


def balance_transaction(
    txn_id: str,
    created: int,
    *,
    amount: int,
    fee: int,
    currency: str,
    kind: str,
    reporting_category: str,
    source: str,
    available_on: int,
    description: str | None,
    exchange_rate: float | None,
    fee_description: str = "Stripe processing fees",
) -> Obj:
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "pending",
        "type": kind,
    }


def payout(
    po_id: str,
    created: int,
    *,
    amount: int,
    currency: str,
    arrival_date: int,
    automatic: bool,
    destination: str,
    balance_transaction: str,
    livemode: bool,
) -> Obj:
    return {
        "id": po_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": automatic,
        "balance_transaction": balance_transaction,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": livemode,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "not_applicable" if not automatic else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": None,
        "type": "bank_account",
    }


def embedded_list(data: list[Obj], url: str) -> Obj:
    """A list as Stripe embeds it in its owner (a subscription's items, an invoice's lines, a
    charge's refunds): all of it, on one page."""
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data), "url": url}


def money(amount: int, currency: str) -> str:
    """Renders an amount the way Stripe's line descriptions do ("$49.00", "€12.50")."""
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    return f"{symbol}{amount / 100:,.2f}"


def period_description(quantity: int, product_name: str, price_obj: Obj) -> str:
    recurring: Any = price_obj["recurring"]
    unit = money(price_obj["unit_amount"], price_obj["currency"])
    per = f" / {recurring['interval']}" if recurring else ""
    return f"{quantity} × {product_name} (at {unit}{per})"


def proration_description(unused: bool, quantity: int, product_name: str, at: int) -> str:
    head = "Unused time on" if unused else "Remaining time on"
    return f"{head} {quantity} × {product_name} after {iso_date(at)}"
