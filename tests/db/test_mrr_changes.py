"""`subscription_mrr_changes` is derived from the states alone: whatever order and batches the
states arrive in, the writer leaves exactly what pricing every subscription afresh gives."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import Connection, Engine, text
from vaultra.db.ledger_writer import Batch, refresh_mrr_changes, write_batch

from tests.support.ledger_records import new_business

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


def test_the_changes_do_not_depend_on_the_order_or_batches_the_states_came_in(
    engine: Engine,
) -> None:
    results = []
    with engine.connect() as conn, conn.begin():
        for seed in range(8):
            business = new_business(conn)
            states = list(STATES)
            random.Random(seed).shuffle(states)
            while states:
                size = random.Random(seed * 31 + len(states)).randint(1, 4)
                _write(conn, business, states[:size])
                # Redelivered states change nothing.
                _write(conn, business, states[:1])
                states = states[size:]
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
