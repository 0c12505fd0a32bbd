"""`subscription_mrr_changes` is derived from the states and the invoice lines billing usage alone:
whatever order and batches they arrive in, the writer leaves exactly what pricing every
subscription afresh gives."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text
from vaultra.db.ledger_writer import Batch, refresh_mrr_changes, write_batch
from vaultra.stripe.mapping import normalize

from tests.support.ledger_records import new_business

T = TypeVar("T")

DAY = 86_400.0
T0 = 1_760_000_000.0


def _state(sub: str, day: int, source: str, key: str, **changes: Any) -> dict[str, Any]:
    return {
        "subscription_id": sub,
        "valid_from": T0 + day * DAY,
        "source": source,
        "customer_id": changes.pop("customer", "cus_1"),
        "status": changes.pop("status", "active"),
        "currency": changes.pop("currency", "usd"),
        "items": changes.pop(
            "items", [{"item_id": "si_1", "quantity": 2, "unit_amount": 4900, "interval": "month"}]
        ),
        "discount": changes.pop("discount", None),
        "cancel_at_period_end": False,
        "_key": key,
    }


STATES = [
    # Rebuilt history, then events that take over from the first of them (day 40).
    _state("sub_a", 0, "reconstructed", "reconstructed:trial", status="trialing", items=[]),
    _state("sub_a", 14, "reconstructed", "reconstructed:in_1"),
    _state("sub_a", 44, "reconstructed", "reconstructed:in_2"),
    _state("sub_a", 40, "event", "evt_a1", items=[{"item_id": "si_1", "quantity": 5,
                                                  "unit_amount": 4900, "interval": "month"}]),
    _state("sub_a", 70, "event", "evt_a2", currency="eur"),
    _state("sub_a", 70, "event", "evt_a3", currency=None),  # same instant: the greater key wins
    _state("sub_a", 90, "event", "evt_a4", status="canceled", items=[]),
    # Another customer: an unpriced (tiered) item, a forever discount, a yearly plan.
    _state("sub_b", 5, "snapshot", "snap_b", customer="cus_2",
           items=[{"item_id": "si_2", "quantity": 1, "unit_amount": None, "interval": "month"}]),
    _state("sub_b", 30, "event", "evt_b1", customer="cus_2",
           discount={"duration": "forever", "percent_off": 20},
           items=[{"item_id": "si_2", "quantity": 3, "unit_amount": 120000, "interval": "year"}]),
    _state("sub_b", 60, "event", "evt_b2", customer="cus_2", status="past_due",
           discount={"duration": "forever", "percent_off": 20},
           items=[{"item_id": "si_2", "quantity": 3, "unit_amount": 120000, "interval": "year"}]),
    _state("sub_c", 10, "reconstructed", "reconstructed:in_3", customer="cus_2", currency="eur"),
    _state("sub_c", 25, "reconstructed", "reconstructed:ended", customer="cus_2",
           status="canceled", items=[]),
]  # fmt: skip


def _write(conn: Connection, business: uuid.UUID, states: list[dict[str, Any]]) -> None:
    batch = Batch()
    for s in states:
        row = {k: v for k, v in s.items() if k != "_key"}
        batch.add({"subscription_states": [row]}, row["valid_from"], s["_key"])
    write_batch(conn, business, False, batch)


def _changes(conn: Connection, business: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        text(
            "SELECT subscription_id, at, slot, customer_id, currency, mrr_delta, unpriced_delta "
            "FROM subscription_mrr_changes WHERE business_id = :b "
            "ORDER BY subscription_id, at, slot"
        ),
        {"b": business},
    )
    return [tuple(r) for r in rows]


def _shuffled_batches(items: Sequence[T], seed: int, *, most: int, salt: int) -> Iterator[list[T]]:
    """`items` shuffled by `seed`, in batches of 1 to `most`, each size drawn from the seed."""
    remaining = list(items)
    random.Random(seed).shuffle(remaining)
    while remaining:
        size = random.Random(seed * salt + len(remaining)).randint(1, most)
        yield remaining[:size]
        remaining = remaining[size:]


def test_the_changes_do_not_depend_on_the_order_or_batches_the_states_came_in(
    engine: Engine,
) -> None:
    results = []
    with engine.connect() as conn, conn.begin():
        for seed in range(8):
            business = new_business(conn)
            for batch in _shuffled_batches(STATES, seed, most=4, salt=31):
                _write(conn, business, batch)
                _write(conn, business, batch[:1])  # redelivered states change nothing
            written = _changes(conn, business)
            refresh_mrr_changes(conn, business)
            assert _changes(conn, business) == written
            results.append(written)
    assert all(r == results[0] for r in results)
    # Every subscription ends with no MRR (sub_b: no longer unpriced); sub_a's currency change
    # at day 70 removes its usd MRR and adds it in the account's currency (NULL).
    assert sum(r[5] for r in results[0] if r[0] == "sub_c") == 0
    assert sum(r[5] for r in results[0] if r[0] == "sub_a" and r[4] == "usd") == 0
    assert any(r[0] == "sub_a" and r[4] is None and r[5] > 0 for r in results[0])
    assert sum(r[5] for r in results[0] if r[0] == "sub_a") == 0
    assert sum(r[6] for r in results[0] if r[0] == "sub_b") == 0
    assert next(r[6] for r in results[0] if r[0] == "sub_b") == 1


def _ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


LICENSED = {
    "id": "price_seat",
    "unit_amount": 2_000,
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
}
METERED = {
    "id": "price_api",
    "unit_amount": 5,
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "metered"},
}


def _subscription(seats: int) -> dict[str, Any]:
    return {
        "object": "subscription",
        "id": "sub_u",
        "created": _ts(2025, 12, 1),
        "customer": "cus_u",
        "status": "active",
        "currency": "usd",
        "items": {
            "object": "list",
            "data": [
                {"id": "si_seat", "quantity": seats, "price": LICENSED},
                {"id": "si_api", "price": METERED},
            ],
        },
    }


def _invoice(
    invoice_id: str, status: str, usage: int, start: int, end: int, renewal_end: int, created: int
) -> dict[str, Any]:
    """A renewal invoice: the seats for the coming period, the API usage of the past one."""

    def line(
        line_id: str,
        price: dict[str, Any],
        item: str,
        amount: int,
        period: tuple[int, int],
        quantity: int,
    ) -> dict[str, Any]:
        return {
            "id": line_id,
            "object": "line_item",
            "amount": amount,
            "currency": "usd",
            "subscription": "sub_u",
            "subscription_item": item,
            "proration": False,
            "quantity": quantity,
            "price": price,
            "period": {"start": period[0], "end": period[1]},
        }

    return {
        "object": "invoice",
        "id": invoice_id,
        "created": created,
        "currency": "usd",
        "customer": "cus_u",
        "subscription": "sub_u",
        "status": status,
        "lines": {
            "object": "list",
            "data": [
                line(f"il_{invoice_id}_seat", LICENSED, "si_seat", 2_000, (end, renewal_end), 1),
                line(f"il_{invoice_id}_api", METERED, "si_api", usage, (start, end), usage // 5),
            ],
        },
    }


DEC_1, JAN_1, JAN_15 = _ts(2025, 12, 1), _ts(2026, 1, 1), _ts(2026, 1, 15)
FEB_1, MAR_1 = _ts(2026, 2, 1), _ts(2026, 3, 1)
# Webhook events: (event id, created, object). The renewal invoices are drafts for an hour, then
# paid; on Jan 15 the subscription goes from 1 seat to 3.
EVENTS = [
    ("evt_sub_created", DEC_1, _subscription(1)),
    ("evt_in1_created", JAN_1, _invoice("in_1", "draft", 12_000, DEC_1, JAN_1, FEB_1, JAN_1)),
    ("evt_in1_paid", JAN_1 + 3600, _invoice("in_1", "paid", 12_000, DEC_1, JAN_1, FEB_1, JAN_1)),
    ("evt_sub_seats", JAN_15, _subscription(3)),
    ("evt_in2_created", FEB_1, _invoice("in_2", "draft", 9_000, JAN_1, FEB_1, MAR_1, FEB_1)),
    ("evt_in2_paid", FEB_1 + 3600, _invoice("in_2", "paid", 9_000, JAN_1, FEB_1, MAR_1, FEB_1)),
]  # fmt: skip


def _deliver(conn: Connection, business: uuid.UUID, events: list[Any]) -> None:
    batch = Batch()
    for event_id, created, obj in events:
        batch.add(normalize(obj, observed_at=created, source="event"), created, event_id)
    write_batch(conn, business, False, batch)


def test_usage_billed_before_or_after_the_subscription_state_arrives_prices_the_same(
    engine: Engine,
) -> None:
    def at(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    expected = [
        ("sub_u", at(DEC_1), 0, "cus_u", "usd", 2_000, 0),  # 1 seat × 2,000
        ("sub_u", at(JAN_1), 0, "cus_u", "usd", 12_000, 0),  # December's usage billed 12,000
        ("sub_u", at(JAN_15), 0, "cus_u", "usd", 4_000, 0),  # 3 seats: 6,000 − 2,000
        ("sub_u", at(FEB_1), 0, "cus_u", "usd", -3_000, 0),  # January's usage 9,000 − 12,000
        # no later bill known: January's (31 days) is stale 62 days after it ended, on Apr 4
        ("sub_u", at(_ts(2026, 4, 4)), 0, "cus_u", "usd", -9_000, 0),
    ]
    with engine.connect() as conn, conn.begin():
        # The invoices first, then the subscription's states: the same as the other way round
        for order in (EVENTS, [*EVENTS[1:3], *EVENTS[4:], EVENTS[0], EVENTS[3]]):
            business = new_business(conn)
            for event in order:
                _deliver(conn, business, [event])
            assert _changes(conn, business) == expected
        for seed in range(6):
            business = new_business(conn)
            for batch in _shuffled_batches(EVENTS, seed, most=3, salt=17):
                _deliver(conn, business, batch)
                _deliver(conn, business, batch[:1])  # redelivered: nothing changes
            assert _changes(conn, business) == expected
            refresh_mrr_changes(conn, business)
            assert _changes(conn, business) == expected


def test_usage_of_a_draft_invoice_counts_once_it_is_finalized_and_not_once_voided(
    engine: Engine,
) -> None:
    def at(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    with engine.connect() as conn, conn.begin():
        business = new_business(conn)
        _deliver(conn, business, EVENTS[:2])  # the subscription, January's invoice as a draft
        assert [r[5] for r in _changes(conn, business)] == [2_000]  # the draft bills nothing
        _deliver(conn, business, [EVENTS[2]])  # paid
        # December's 12,000 from Jan 1, until stale 62 days later (Mar 4) with no newer bill
        assert [(r[1], r[5]) for r in _changes(conn, business)] == [
            (at(DEC_1), 2_000),
            (at(JAN_1), 12_000),
            (at(_ts(2026, 3, 4)), -12_000),
        ]
        voided = _invoice("in_1", "void", 12_000, DEC_1, JAN_1, FEB_1, JAN_1)
        _deliver(conn, business, [("evt_in1_void", JAN_1 + 7200, voided)])
        assert _changes(conn, business) == [("sub_u", at(DEC_1), 0, "cus_u", "usd", 2_000, 0)]
