"""`vaultra serve`'s local Pub/Sub: the functions/ handlers subscribed to the local bus carry a
live webhook all the way to a stored score, as Pub/Sub and Eventarc do in the cloud."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus, get_local_bus, use_local_bus
from vaultra.local_functions import TRIGGERS, subscribe_functions

from tests.functions.test_compute_metrics import TODAY, deliver_charges


def test_a_webhook_flows_through_metrics_to_a_score_on_the_local_bus(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    subscriptions = subscribe_functions(get_local_bus())

    deliver_charges(webhook_client, 3)  # each publish runs the chain inline (a synchronous bus)

    assert {s.topic for s in subscriptions} == {t for ts in TRIGGERS.values() for t in ts}
    with engine.connect() as conn:
        scores = conn.execute(
            text("SELECT as_of, score FROM readiness_scores WHERE business_id = :b"),
            {"b": business},
        ).all()
        volume = conn.execute(
            text("SELECT value FROM metric_snapshots WHERE metric = 'gross_volume_month'")
        ).scalar_one()
    assert [s.as_of for s in scores] == [TODAY]
    assert volume == 3 * 1000
    assert topics.METRICS_COMPUTED in {s.topic for s in subscriptions}


def test_on_the_asynchronous_bus_vaultra_serve_installs_the_webhook_answers_first(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    bus = use_local_bus(LocalBus(synchronous=False))
    subscribe_functions(bus)

    deliver_charges(webhook_client, 2)  # answered 200 before any metric work runs
    assert bus.drain(timeout=60)

    with engine.connect() as conn:
        scored = conn.execute(
            text("SELECT count(*) FROM readiness_scores WHERE business_id = :b"), {"b": business}
        ).scalar_one()
    assert scored == 1 and bus.dead_letters == []
