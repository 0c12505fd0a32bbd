"""Behaviour of the demo Stripe history generator: determinism, Stripe-shaped objects and events,
consistency between events and final objects, and each archetype's signature."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from vaultra.sample_data import generator
from vaultra.sample_data.gen_core import IdFactory
from vaultra.sample_data.generator import ARCHETYPES, GENERATOR_VERSION, StripeHistory, generate

NOW = 1_735_689_600  # 2025-01-01T00:00:00Z
DAY = 86_400

ID_PREFIX = {
    "customers": "cus_",
    "products": "prod_",
    "prices": "price_",
    "subscriptions": "sub_",
    "invoices": "in_",
    "charges": "ch_",
    "refunds": "re_",
    "disputes": "dp_",
    "payouts": "po_",
    "balance_transactions": "txn_",
}
OBJECT_TYPE = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
}


@cache
def history(archetype: str, seed: int = 1, scale: float = 1.0) -> StripeHistory:
    return generate(archetype, seed=seed, now=NOW, scale=scale)


def all_histories() -> list[StripeHistory]:
    return [history(archetype) for archetype in ARCHETYPES]


def object_type_of(event_type: str) -> str:
    if event_type.startswith("customer.subscription."):
        return "subscription"
    if event_type.startswith("charge.dispute."):
        return "dispute"
    if event_type.startswith("charge.refund."):
        return "refund"
    return event_type.split(".")[0]


def succeeded(h: StripeHistory) -> list[dict[str, Any]]:
    return [c for c in h.objects["charges"] if c["status"] == "succeeded"]


def events_of(h: StripeHistory, event_type: str) -> list[dict[str, Any]]:
    return [e for e in h.events if e["type"] == event_type]


def month_of(ts: int) -> int:
    return datetime.fromtimestamp(ts, UTC).month


def monthly_recurring_revenue(h: StripeHistory, at: int) -> float:
    """MRR at `at`, replayed from subscription events (what Vaultra itself will have to do)."""
    latest: dict[str, dict[str, Any]] = {}
    for event in h.events:
        if event["created"] > at:
            break
        if event["type"].startswith("customer.subscription."):
            latest[event["data"]["object"]["id"]] = event["data"]["object"]
    per_month = {"day": 30.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}
    total = 0.0
    for sub in latest.values():
        if sub["status"] not in ("active", "past_due"):
            continue
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            if recurring["usage_type"] != "licensed":
                continue
            amount = (
                item["price"]["unit_amount"] * item["quantity"] * per_month[recurring["interval"]]
            )
            discount = sub["discount"]
            if discount and discount["coupon"]["percent_off"]:
                amount *= 1 - discount["coupon"]["percent_off"] / 100
            total += amount / recurring["interval_count"]
    return total


# --- Determinism and parameters -----------------------------------------------------------------


def test_same_seed_gives_identical_history() -> None:
    first = generate("risky_merchant", seed=7, now=NOW, scale=0.15)
    second = generate("risky_merchant", seed=7, now=NOW, scale=0.15)
    assert first == second
    # Identical down to key order, so serialized payloads are byte-for-byte the same.
    assert json.dumps(first.events) == json.dumps(second.events)
    assert json.dumps(first.objects) == json.dumps(second.objects)


# The sha-256 of each archetype's history (seed 7, up to 2025-11-29), first recorded when the
# generator moved from `vaultra_dev` into `vaultra.sample_data`: founders' demo data must not change
# by accident. A deliberate change of the generator bumps GENERATOR_VERSION and records the new
# hashes here. Recorded again for gen-2, whose ids are keyed by the version: only the ids (and so
# the order of same-second events) changed, every amount, date and field stayed as it was. And for
# gen-3, which leaves nothing due on an invoice whose credits exceed its charges (none at scale 1:
# again only the version's ids changed).
RECORDED = {
    "steady_saas": "c83af007b40c1f4e41392638d499b34d4b0c47ea3db6116a497b4fa312a60541",
    "seasonal_ecommerce": "289518a541f457362a2feee6cce00709e286ba72e55daf62d622c0ab001e7525",
    "risky_merchant": "c519797b906bef147c39c72a109e32ae3848054896ac0d395b0d8bff9eaf0e93",
    "early_stage": "4b31dcbb9812c5c67fcb753ba5afe4c3788db0fc75288d5027221892c82b5b67",
}


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_each_archetype_generates_the_recorded_history_byte_for_byte(archetype: str) -> None:
    h = generate(archetype, seed=7, now=1_764_374_400)
    whole = {
        "account": h.account,
        "livemode": h.livemode,
        "now": h.now,
        "objects": h.objects,
        "events": h.events,
        "currency": h.currency,
        "generator_version": h.generator_version,
    }

    digest = hashlib.sha256(json.dumps(whole, sort_keys=True).encode()).hexdigest()

    assert digest == RECORDED[archetype]


def every_id(h: StripeHistory) -> set[str]:
    """The account and the id of every event and of every object, final or in an event."""
    ids = {h.account}
    for event in h.events:
        ids |= {event["id"], event["data"]["object"]["id"]}
    return ids | {o["id"] for objects in h.objects.values() for o in objects}


def draws(h: StripeHistory) -> list[tuple[str, int, int]]:
    """What the randomness decided, ids aside: each event's type, time and amount (-1: none)."""
    return sorted(
        (e["type"], e["created"], e["data"]["object"].get("amount") or -1) for e in h.events
    )


def test_the_same_seed_and_generator_version_give_the_same_ids() -> None:
    """Determinism the tests and redelivered demo loads rely on: a rerun of the same generator
    issues exactly the same ids, the account's included."""
    first = generate("early_stage", seed=9, now=NOW)
    second = generate("early_stage", seed=9, now=NOW)

    assert [e["id"] for e in first.events] == [e["id"] for e in second.events]
    assert every_id(first) == every_id(second)


def test_another_generator_version_issues_other_ids_for_the_same_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two versions of the generator never name different objects with one id (a ledger treats
    an id it has seen as the same object); the version changes the ids only, not the draws."""
    current = generate("early_stage", seed=9, now=NOW)
    monkeypatch.setattr(generator, "GENERATOR_VERSION", "gen-next")

    other = generate("early_stage", seed=9, now=NOW)

    assert not every_id(current) & every_id(other)
    assert draws(current) == draws(other)
    assert len(current.events) == len(other.events)


def test_a_history_records_the_generator_version_that_made_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reader of generated data can tell which generator made it."""
    assert history("early_stage").generator_version == GENERATOR_VERSION
    monkeypatch.setattr(generator, "GENERATOR_VERSION", "gen-next")

    assert generate("early_stage", seed=1, now=NOW).generator_version == "gen-next"


def test_no_part_of_a_long_seed_or_version_is_cut_off_the_id_key() -> None:
    """blake2b keys hold 64 bytes: seeds that differ only past them still give different ids."""
    prefix = "x" * 80
    one, two = IdFactory(f"{prefix}1", "gen-2"), IdFactory(f"{prefix}2", "gen-2")
    versions = IdFactory("seed", f"{prefix}1"), IdFactory("seed", f"{prefix}2")

    assert one.new("cus") != two.new("cus")
    assert versions[0].new("cus") != versions[1].new("cus")


def test_a_customer_coming_back_after_now_has_not_come_back_yet() -> None:
    # With this seed a churned customer would return in a Monday's office hours, a day after
    # `now` (a Sunday morning): the history ends before, so they have not returned.
    h = generate("steady_saas", seed=12_796_789_156_800_840_533, now=1_795_950_601)

    assert max(e["created"] for e in h.events) <= h.now


def test_different_seeds_give_different_histories() -> None:
    one, two = history("early_stage", seed=1), history("early_stage", seed=2)
    assert one.account != two.account
    assert not {e["id"] for e in one.events} & {e["id"] for e in two.events}
    amounts = [sorted(c["amount"] for c in h.objects["charges"]) for h in (one, two)]
    assert amounts[0] != amounts[1]


def test_account_defaults_from_the_seed_or_is_the_one_given() -> None:
    assert history("early_stage").account.startswith("acct_")
    assert history("early_stage").account == generate("early_stage", seed=1, now=NOW).account
    given = generate("early_stage", seed=1, now=NOW, account="acct_1Given0000000000")
    assert {e["account"] for e in given.events} == {"acct_1Given0000000000"}


def test_livemode_is_carried_by_every_event_and_object() -> None:
    live = generate("early_stage", seed=3, now=NOW, livemode=True)
    assert live.livemode is True
    assert all(e["livemode"] is True for e in live.events)
    for resource, objects in live.objects.items():
        if resource not in ("balance_transactions",):  # balance transactions have no livemode
            assert all(o["livemode"] is True for o in objects), resource


def test_unknown_archetype_or_bad_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown archetype"):
        generate("crypto_exchange", seed=1, now=NOW)
    with pytest.raises(ValueError, match="scale"):
        generate("early_stage", seed=1, now=NOW, scale=0)


def test_scale_roughly_multiplies_event_count() -> None:
    small = generate("seasonal_ecommerce", seed=4, now=NOW, scale=0.15)
    large = generate("seasonal_ecommerce", seed=4, now=NOW, scale=0.45)
    assert 2.5 < len(large.objects["charges"]) / len(small.objects["charges"]) < 3.5
    # Payouts are daily whatever the volume, so events grow a little slower than orders.
    assert 2.0 < len(large.events) / len(small.events) < 3.5


# --- Events -------------------------------------------------------------------------------------


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_every_event_is_a_stripe_event_about_the_right_kind_of_object(archetype: str) -> None:
    h = history(archetype)
    for event in h.events:
        assert event["id"].startswith("evt_")
        assert event["object"] == "event"
        assert event["api_version"] == "2024-06-20"
        assert event["account"] == h.account
        assert event["livemode"] is h.livemode
        assert event["pending_webhooks"] == 1
        assert set(event["request"]) == {"id", "idempotency_key"}
        obj = event["data"]["object"]
        assert obj["id"]
        assert obj["object"] == object_type_of(event["type"]), event["type"]
    assert len({e["id"] for e in h.events}) == len(h.events)


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_events_are_sorted_by_created_then_id(archetype: str) -> None:
    events = history(archetype).events
    keys = [(e["created"], e["id"]) for e in events]
    assert keys == sorted(keys)


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_events_of_one_object_are_at_least_a_second_apart(archetype: str) -> None:
    last_seen: dict[str, int] = {}
    for event in history(archetype).events:
        object_id = event["data"]["object"]["id"]
        assert event["created"] > last_seen.get(object_id, -1), event["type"]
        last_seen[object_id] = event["created"]


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_last_event_of_each_object_carries_its_final_state(archetype: str) -> None:
    h = history(archetype)
    final = {o["id"]: o for objects in h.objects.values() for o in objects}
    last: dict[str, dict[str, Any]] = {}
    for event in h.events:
        last[event["data"]["object"]["id"]] = event
    checked = 0
    for object_id, event in last.items():
        obj = event["data"]["object"]
        if obj.get("deleted"):
            assert event["type"] == "customer.deleted"
            assert obj == {"id": object_id, "object": "customer", "deleted": True}
            assert object_id not in final
        elif obj["object"] != "payment_intent":  # payment intents are not among the objects
            assert obj == final[object_id], event["type"]
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_updated_events_say_what_changed(archetype: str) -> None:
    updates = [e for e in history(archetype).events if e["type"].endswith(".updated")]
    assert updates
    for event in updates:
        previous = event["data"]["previous_attributes"]
        assert previous, event["type"]
        for key, old in previous.items():
            assert event["data"]["object"].get(key) != old


def test_event_payloads_are_independent_deep_copies() -> None:
    h = generate("early_stage", seed=5, now=NOW)
    sub = h.objects["subscriptions"][-1]
    snapshots = [e["data"]["object"] for e in h.events if e["data"]["object"]["id"] == sub["id"]]
    snapshots[0]["items"]["data"][0]["price"]["unit_amount"] = -1
    snapshots[0]["status"] = "mutated"
    assert sub["items"]["data"][0]["price"]["unit_amount"] > 0
    assert all(s["status"] != "mutated" for s in snapshots[1:])


def test_a_new_subscription_emits_its_invoice_and_charge_within_seconds() -> None:
    h = history("steady_saas")
    paid_at_once = [
        i["subscription"]
        for i in h.objects["invoices"]
        if i["billing_reason"] == "subscription_create"
        and i["amount_due"] > 0
        and i["status"] == "paid"
        and i["attempt_count"] == 1
    ]
    created = next(
        e
        for e in events_of(h, "customer.subscription.created")
        if e["data"]["object"]["id"] in paid_at_once
    )
    window = [e for e in h.events if created["created"] <= e["created"] <= created["created"] + 10]
    types = [e["type"] for e in window]
    for expected in ("invoice.created", "invoice.finalized", "charge.succeeded", "invoice.paid"):
        assert expected in types


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_nothing_is_created_after_now(archetype: str) -> None:
    h = history(archetype)
    assert all(e["created"] <= NOW for e in h.events)
    assert all(o["created"] <= NOW for objects in h.objects.values() for o in objects)


# --- Objects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_objects_are_stripe_shaped_lists_newest_first(archetype: str) -> None:
    h = history(archetype)
    assert set(h.objects) == set(OBJECT_TYPE)
    assert h.currency == "usd"
    for resource, objects in h.objects.items():
        created = [(o["created"], o["id"]) for o in objects]
        assert created == sorted(created, reverse=True), resource
        for obj in objects:
            assert obj["object"] == OBJECT_TYPE[resource]
            assert obj["id"].startswith(ID_PREFIX.get(resource, ""))
            for key in ("amount", "amount_refunded", "amount_due", "amount_paid", "fee", "net"):
                if key in obj:
                    assert isinstance(obj[key], int), (resource, key)
            if obj.get("currency") is not None:
                assert obj["currency"] in ("usd", "eur", "gbp")


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_money_adds_up(archetype: str) -> None:
    h = history(archetype)
    txns = {t["id"]: t for t in h.objects["balance_transactions"]}
    for txn in txns.values():
        assert txn["net"] == txn["amount"] - txn["fee"]
        assert txn["currency"] == "usd"
    for charge in h.objects["charges"]:
        assert charge["amount_refunded"] == sum(r["amount"] for r in charge["refunds"]["data"])
        assert charge["refunded"] == (charge["amount_refunded"] == charge["amount"])
        if charge["status"] == "succeeded":
            assert charge["paid"] and charge["captured"]
            assert txns[charge["balance_transaction"]]["source"] == charge["id"]
        else:
            assert charge["failure_code"] and charge["balance_transaction"] is None
    for payout in h.objects["payouts"]:
        assert txns[payout["balance_transaction"]]["amount"] == -payout["amount"]
    charges = {c["id"]: c for c in h.objects["charges"]}
    for invoice in h.objects["invoices"]:
        lines = invoice["lines"]["data"]
        assert invoice["subtotal"] == sum(line["amount"] for line in lines)
        discounts = sum(d["amount"] for d in invoice["total_discount_amounts"])
        assert invoice["total"] == invoice["subtotal"] - discounts >= 0
        if invoice["status"] == "paid":
            assert invoice["amount_paid"] == invoice["amount_due"]
            assert invoice["status_transitions"]["paid_at"] is not None
            if invoice["amount_due"] > 0:
                charge = charges[invoice["charge"]]
                assert charge["status"] == "succeeded" and charge["invoice"] == invoice["id"]


def test_disputes_withdraw_funds_and_won_ones_reinstate_them() -> None:
    h = history("risky_merchant")
    for dispute in h.objects["disputes"]:
        categories = [t["reporting_category"] for t in dispute["balance_transactions"]]
        if dispute["status"].startswith("warning"):
            assert categories == []
        elif dispute["status"] == "won":
            assert categories == ["dispute", "dispute_reversal"]
        else:
            assert categories == ["dispute"]
        assert dispute["evidence_details"]["due_by"] > dispute["created"]


def test_foreign_currency_orders_settle_in_dollars_at_an_exchange_rate() -> None:
    h = history("seasonal_ecommerce")
    txns = {t["id"]: t for t in h.objects["balance_transactions"]}
    foreign = [c for c in succeeded(h) if c["currency"] != "usd"]
    assert {c["currency"] for c in foreign} >= {"eur"}
    for charge in foreign:
        txn = txns[charge["balance_transaction"]]
        assert txn["currency"] == "usd"
        assert txn["exchange_rate"] is not None
        assert txn["amount"] == round(charge["amount"] * txn["exchange_rate"])
    assert all(
        txns[c["balance_transaction"]]["exchange_rate"] is None
        for c in succeeded(h)
        if c["currency"] == "usd"
    )


# --- Archetype signatures -----------------------------------------------------------------------


def test_steady_saas_is_a_growing_b2b_subscription_business() -> None:
    h = history("steady_saas")
    subs = h.objects["subscriptions"]
    # Everyone who was ever a customer, including those since deleted.
    assert 90 <= len(events_of(h, "customer.created")) <= 220
    first_charge = min(c["created"] for c in succeeded(h))
    assert 700 * DAY < NOW - first_charge < 750 * DAY
    intervals = Counter(s["items"]["data"][0]["price"]["recurring"]["interval"] for s in subs)
    assert intervals["month"] > intervals["year"] > 0 and intervals["week"] > 0
    seats = [s["quantity"] for s in subs if s["quantity"] is not None]
    assert sum(q > 1 for q in seats) > 0.8 * len(seats)
    # Monthly MRR growth over the last year: around the 3-6 % of a steady SaaS.
    year_ago, today = (
        monthly_recurring_revenue(h, NOW - 365 * DAY),
        monthly_recurring_revenue(h, NOW),
    )
    assert 0.025 < (today / year_ago) ** (1 / 12) - 1 < 0.07
    assert len(h.objects["refunds"]) / len(succeeded(h)) < 0.03
    assert len(h.objects["disputes"]) / len(succeeded(h)) < 0.005
    assert {p["status"] for p in h.objects["payouts"]} <= {"paid", "in_transit", "pending"}


def test_steady_saas_has_trials_that_convert_and_trials_that_lapse() -> None:
    h = history("steady_saas")
    trials = [s for s in h.objects["subscriptions"] if s["trial_start"]]
    paying = {i["subscription"] for i in h.objects["invoices"] if i["amount_paid"] > 0}
    converted = [s for s in trials if s["id"] in paying]
    lapsed = [s for s in trials if s["status"] == "canceled" and s["ended_at"] == s["trial_end"]]
    assert converted and lapsed


def test_steady_saas_cancels_at_period_end_and_reactivates_churned_customers() -> None:
    h = history("steady_saas")
    subs = h.objects["subscriptions"]
    at_period_end = [
        s
        for s in subs
        if s["status"] == "canceled"
        and s["ended_at"] == s["current_period_end"]
        and s["canceled_at"] < s["ended_at"]
    ]
    assert at_period_end
    flagged = [
        e
        for e in events_of(h, "customer.subscription.updated")
        if e["data"]["previous_attributes"].get("cancel_at_period_end") is False
    ]
    assert {s["id"] for s in at_period_end} <= {e["data"]["object"]["id"] for e in flagged}
    by_customer = defaultdict(list)
    for sub in subs:
        by_customer[sub["customer"]].append(sub)
    reactivated = [
        runs
        for runs in by_customer.values()
        if len(runs) > 1
        and min(r["ended_at"] or NOW for r in runs) < max(r["created"] for r in runs)
    ]
    assert reactivated


def test_steady_saas_has_coupons_prorations_and_metered_usage() -> None:
    h = history("steady_saas")
    durations = {c["duration"] for c in h.objects["coupons"] if c["times_redeemed"]}
    assert {"forever", "once", "repeating"} <= durations
    discounted = [i for i in h.objects["invoices"] if i["total_discount_amounts"]]
    assert discounted
    lines = [line for i in h.objects["invoices"] for line in i["lines"]["data"]]
    prorations = [line for line in lines if line["proration"]]
    assert any(line["amount"] < 0 for line in prorations)
    assert any(line["amount"] > 0 for line in prorations)
    reasons = Counter(i["billing_reason"] for i in h.objects["invoices"])
    assert {"subscription_create", "subscription_cycle", "subscription_update", "manual"} <= set(
        reasons
    )
    metered = [
        line for line in lines if (line["price"]["recurring"] or {}).get("usage_type") == "metered"
    ]
    assert metered


def test_steady_saas_dunning_recovers_some_and_gives_up_on_others() -> None:
    h = history("steady_saas")
    statuses = Counter(i["status"] for i in h.objects["invoices"])
    assert statuses["uncollectible"] >= 1 and statuses["void"] >= 1
    assert events_of(h, "invoice.payment_failed")
    recovered = [
        e
        for e in events_of(h, "customer.subscription.updated")
        if e["data"]["previous_attributes"].get("status") == "past_due"
        and e["data"]["object"]["status"] == "active"
    ]
    assert recovered


def test_seasonal_ecommerce_sells_one_off_with_a_holiday_peak() -> None:
    h = history("seasonal_ecommerce")
    assert h.objects["subscriptions"] == [] and h.objects["invoices"] == []
    sales = succeeded(h)
    assert len(sales) > 2000
    per_month = Counter(month_of(c["created"]) for c in sales)
    holidays = (per_month[11] + per_month[12]) / 61
    summer = (per_month[6] + per_month[7] + per_month[8]) / 92
    assert 2.3 < holidays / summer < 4.0
    refunded = [c for c in sales if c["amount_refunded"]]
    assert 0.05 <= len(refunded) / len(sales) <= 0.08
    assert any(c["amount_refunded"] < c["amount"] for c in refunded)
    assert 1 <= len(h.objects["disputes"]) <= 20


def test_risky_merchant_has_many_disputes_refunds_and_failed_payouts() -> None:
    h = history("risky_merchant")
    sales = succeeded(h)
    first_charge = min(c["created"] for c in sales)
    assert 350 * DAY < NOW - first_charge < 380 * DAY
    assert 0.01 <= len(h.objects["disputes"]) / len(sales) <= 0.04
    statuses = {d["status"] for d in h.objects["disputes"]}
    assert {"won", "lost"} <= statuses
    assert statuses & {"needs_response", "under_review", "warning_needs_response"}
    assert len(h.objects["refunds"]) / len(sales) > 0.08
    failed = [p for p in h.objects["payouts"] if p["status"] == "failed"]
    assert len(failed) >= 3
    assert all(p["failure_code"] and p["failure_balance_transaction"] for p in failed)
    assert len(events_of(h, "payout.failed")) == len(failed)
    assert 0 < len(h.objects["subscriptions"]) < 40


def test_early_stage_is_three_months_of_a_small_growing_saas() -> None:
    h = history("early_stage")
    first_charge = min(c["created"] for c in succeeded(h))
    assert 80 * DAY <= NOW - first_charge <= 95 * DAY
    assert 10 <= len(h.objects["customers"]) <= 30
    assert monthly_recurring_revenue(h, first_charge + 30 * DAY) < monthly_recurring_revenue(h, NOW)


def test_an_invoice_whose_credits_exceed_its_charges_leaves_nothing_due() -> None:
    """A downgrade's proration can credit more than the new period charges (−8,000 + 5,000):
    Stripe collects nothing — no negative payment — and credits the customer's balance. At the
    demo's scale 18 two such invoices used to become charges of a negative amount, which the
    import rightly refused."""
    from vaultra.sample_data.gen_billing import apply_discount
    from vaultra.sample_data.gen_shapes import invoice

    lines = [{"amount": -8_000}, {"amount": 5_000}]
    inv = invoice(
        "in_1", 1_764_000_000, customer_obj={"id": "cus_1", "email": None, "name": None},
        subscription_id="sub_1", billing_reason="subscription_update", currency="usd",
        lines=lines, period_start=1_764_000_000, period_end=1_764_000_000, livemode=False,
        account_name="Demo",
    )  # fmt: skip

    assert (inv["total"], inv["amount_due"], inv["amount_remaining"]) == (-3_000, 0, 0)
    coupon = {"percent_off": 10, "amount_off": None}
    inv["lines"]["data"] = [{"amount": -8_000}, {"amount": 5_000}]
    apply_discount(inv, {"id": "di_1", "coupon": coupon})
    # 10 % off the positive subtotal only: max(−3,000, 0) = 0 → nothing off, nothing due
    assert inv["amount_due"] == 0
