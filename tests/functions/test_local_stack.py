"""`vaultra serve`'s local stack: the functions' handlers subscribed to the local bus carry a live
webhook all the way to a stored score, as Pub/Sub and Eventarc do in the cloud; a delivery the
handlers give up on reaches the dead-letter function."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.config import get_settings
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus, get_local_bus
from vaultra.events.messages import MetricsComputed
from vaultra.handlers import FUNCTIONS
from vaultra.local_stack import LocalStack, subscribe_functions

from tests.functions.test_compute_metrics import deliver_charges, today
from tests.support.ledger_records import save_metrics

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


def test_each_function_listens_to_its_messages_topics_and_the_dead_letters_to_every_topic() -> None:
    subscriptions = {(s.topic, s.name) for s in subscribe_functions(LocalBus())}

    for name, function in FUNCTIONS.items():
        for message in function.messages:
            assert (message.TOPIC, f"{message.TOPIC}-{name}") in subscriptions
    for topic in topics.TOPICS.values():
        dead = topics.dead_letter_topic(topic)
        assert (dead, f"{dead}-dead_letters") in subscriptions


def test_a_webhook_flows_through_metrics_to_a_score_on_the_local_bus(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    subscribe_functions(get_local_bus())

    deliver_charges(webhook_client, 3)  # each publish runs the chain inline (a synchronous bus)

    with engine.connect() as conn:
        scores = conn.execute(
            text("SELECT as_of FROM readiness_scores WHERE business_id = :b"), {"b": business}
        ).all()
        volume = conn.execute(
            text("SELECT value FROM metric_snapshots WHERE metric = 'gross_volume_month'")
        ).scalar_one()
    assert [s.as_of for s in scores] == [today()]
    assert volume == 3 * 1000


def test_on_the_stack_vaultra_serve_runs_the_webhook_answers_before_the_work_it_triggers(
    engine: Engine, business: Any, webhook_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_DEBOUNCE_S", "1")  # the computation waits a second for the burst
    get_settings.cache_clear()
    with LocalStack(get_settings(), tick_s=3600) as stack:
        deliver_charges(webhook_client, 2)
        # Both deliveries have their 200, and no metric has been computed yet.
        with engine.connect() as conn:
            computed_before = conn.execute(text("SELECT count(*) FROM metric_runs")).scalar_one()
        assert stack.bus.drain(timeout=60)

    with engine.connect() as conn:
        scored = conn.execute(
            text("SELECT count(*) FROM readiness_scores WHERE business_id = :b"), {"b": business}
        ).scalar_one()
    assert computed_before == 0
    assert scored == 1 and stack.bus.dead_letters == []


def test_a_message_its_function_keeps_failing_on_is_kept_as_a_dead_letter(
    engine: Engine, business: Any
) -> None:
    bus = get_local_bus()
    bus.max_attempts, bus.backoff_initial_s = 2, 0.0
    subscribe_functions(bus)
    now = datetime.now(UTC)
    with engine.begin() as conn:  # metrics to score, and scoring failing until the table is back
        save_metrics(conn, business, today(), {}, computed_at=now)
        conn.execute(text("ALTER TABLE readiness_scores RENAME TO readiness_scores_away"))

    bus.publish(MetricsComputed(business_id=business, as_of=today(), computed_at=now))

    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE readiness_scores_away RENAME TO readiness_scores"))
        letters = conn.execute(
            text("SELECT message_type, business_id, delivery_attempts FROM dead_letters")
        ).all()
    assert [tuple(r) for r in letters] == [("MetricsComputed", business, 2)]
