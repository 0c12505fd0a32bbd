"""The Pub/Sub-triggered metrics functions: `compute_metrics` recomputes once per burst and never
on a redelivery; `schedule_refresh` fans the daily tick out to every active, linked business once,
and deletes the raw events past their retention."""

from __future__ import annotations

import base64
import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import functions_framework
import pytest
from cloudevents.conversion import to_structured
from sqlalchemy import Engine, text
from vaultra.db import locks
from vaultra.db.unit_of_work import Database
from vaultra.events import topics
from vaultra.events.local_bus import get_local_bus
from vaultra.events.messages import (
    DailyRefresh,
    MetricsComputed,
    MetricsRefreshRequested,
    StripeDataChanged,
)
from vaultra.services.businesses import add_business

from tests.functions.conftest import FUNCTIONS
from tests.support.stripe_payloads import ACCOUNT, body_of, charge, event, sign

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


def today() -> date:
    """Today in UTC, read when asked: a value read at import goes stale across midnight."""
    return datetime.now(UTC).date()


def function(name: str) -> Any:
    return functions_framework.create_app(
        name, str(FUNCTIONS / name / "main.py"), "cloudevent"
    ).test_client()


def capture(topic: str) -> list[Any]:
    """Raw CloudEvents published on `topic` (to push them to a function, as Pub/Sub would)."""
    events: list[Any] = []
    get_local_bus().subscribe(topic, events.append, subscription=f"{topic}-capture")
    return events


def push(client: Any, cloud_event: Any) -> int:
    headers, body = to_structured(cloud_event)
    return client.post("/", headers=dict(headers), data=body).status_code


def deliver_charges(webhook_client: Any, count: int, first: int = 0) -> None:
    now = int(time.time())
    for n in range(first, first + count):
        evt = event(
            "charge.succeeded",
            charge(f"ch_burst_{n}", amount=1000, created=now - 60),
            event_id=f"evt_burst_{n}",
            created=now - 60 + n,
        )
        body = body_of(evt)
        response = webhook_client.post("/", data=body, headers={"Stripe-Signature": sign(body)})
        assert response.status_code == 200


def runs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM metric_runs")).all()


def gross_volume(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT value FROM metric_snapshots WHERE metric = 'gross_volume_month'")
        ).scalar_one()


def test_a_burst_of_changes_computes_once_and_redelivery_changes_nothing(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    computed = capture(topics.METRICS_COMPUTED)
    deliver_charges(webhook_client, 20)
    assert len(changed) == 20
    compute = function("compute_metrics")

    statuses = [push(compute, e) for e in changed]  # all 20 arrive after the burst committed
    statuses.append(push(compute, changed[7]))  # and one is delivered twice

    assert statuses == [200] * 21
    assert len(computed) == 1  # one computation saw the whole burst
    assert len(runs(engine)) == 1
    assert gross_volume(engine) == 20 * 1000
    message = MetricsComputed.model_validate_json(_data(computed[0]))
    assert message.business_id == business and message.as_of == today()


def test_a_change_after_the_computation_is_computed_again(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    computed = capture(topics.METRICS_COMPUTED)
    compute = function("compute_metrics")
    deliver_charges(webhook_client, 2)
    assert [push(compute, e) for e in changed] == [200, 200]
    deliver_charges(webhook_client, 1, first=2)

    assert push(compute, changed[-1]) == 200

    assert len(computed) == 2
    assert gross_volume(engine) == 3 * 1000


def hold_business(conn: Any, business: Any, *, release: bool = False) -> None:
    """Take (or release) the business's metrics lock as another instance computing it would."""
    verb = "unlock" if release else "lock"
    conn.execute(
        text(f"SELECT pg_advisory_{verb}(:k)"), {"k": locks.lock_key(locks.METRICS, business)}
    )


def test_a_first_change_of_the_day_that_finds_the_business_busy_asks_to_be_retried(
    engine: Engine, business: Any, webhook_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    deliver_charges(webhook_client, 1)
    compute = function("compute_metrics")
    with engine.connect() as other:  # another instance is computing this business
        hold_business(other, business)
        caplog.clear()
        # No run of today exists yet for the holder to keep current: Pub/Sub must redeliver.
        assert push(compute, changed[0]) == 503
        hold_business(other, business, release=True)
    assert runs(engine) == []
    # Expected, so one line and no traceback.
    [retried] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "will be retried" in retried.getMessage() and retried.exc_info is None

    assert push(compute, changed[0]) == 200  # the redelivery
    assert gross_volume(engine) == 1000


def test_a_change_that_finds_todays_run_being_computed_is_left_to_its_holder(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    compute = function("compute_metrics")
    deliver_charges(webhook_client, 1)
    assert push(compute, changed[0]) == 200  # today's run exists
    deliver_charges(webhook_client, 1, first=1)
    with engine.connect() as other:
        hold_business(other, business)

        assert push(compute, changed[1]) == 200  # acknowledged: the holder sees it

        hold_business(other, business, release=True)
    assert gross_volume(engine) == 1000  # (the stand-in holder computes nothing)


def test_a_message_that_is_not_a_metrics_trigger_is_acknowledged(
    engine: Engine, business: Any
) -> None:
    wrong = capture(topics.DAILY_REFRESH)
    get_local_bus().publish(DailyRefresh())

    assert push(function("compute_metrics"), wrong[0]) == 200
    assert runs(engine) == []


def test_the_daily_refresh_fans_out_to_active_linked_businesses_once(
    engine: Engine, business: Any
) -> None:
    with engine.begin() as conn:
        other = add_business(
            Database(engine), "Other Co", "acct_1OtherBusiness", livemode=False
        ).business_id
        paused = add_business(Database(engine), "Paused Co", "acct_1PausedBusiness", livemode=False)
        conn.execute(
            text("UPDATE businesses SET active = false WHERE id = :b"),
            {"b": paused.business_id},
        )
        conn.execute(text("INSERT INTO businesses (name) VALUES ('Never linked')"))
        conn.execute(  # past the raw events' retention: the tick deletes it
            text(
                "INSERT INTO stripe_events (id, source, body, status, received_at) "
                "VALUES ('evt_expired', 'webhook', '{}', 'applied', now() - interval '100 days')"
            )
        )
    ticks = capture(topics.DAILY_REFRESH)
    requests = capture(topics.METRICS_REFRESH_REQUESTED)
    computed = capture(topics.METRICS_COMPUTED)
    get_local_bus().publish(DailyRefresh(as_of=date(2026, 10, 31)))
    schedule = function("schedule_refresh")

    assert push(schedule, ticks[0]) == 200
    assert push(schedule, ticks[0]) == 200  # Pub/Sub delivers the tick again

    asked = [MetricsRefreshRequested.model_validate_json(_data(e)) for e in requests]
    assert sorted(str(m.business_id) for m in asked) == sorted([str(business), str(other)])
    with engine.connect() as conn:
        expired = conn.execute(text("SELECT count(*) FROM stripe_events WHERE id = 'evt_expired'"))
        assert expired.scalar_one() == 0
    assert {m.as_of for m in asked} == {date(2026, 10, 31)}
    compute = function("compute_metrics")
    assert [push(compute, e) for e in requests + requests] == [200] * 4
    assert len(computed) == 2  # each business once, the redeliveries were no-ops
    assert {(r.business_id, r.as_of) for r in runs(engine)} == {
        (business, date(2026, 10, 31)),
        (other, date(2026, 10, 31)),
    }


def _data(cloud_event: Any) -> bytes:
    return base64.b64decode(cloud_event.data["message"]["data"])


def test_an_imported_history_gets_its_month_end_trend_and_an_inactive_business_nothing(
    engine: Engine, business: Any
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    message = StripeDataChanged(
        business_id=business,
        account_id=ACCOUNT,
        livemode=False,
        reason="backfill",
        changed_at=datetime.now(UTC),
    )
    get_local_bus().publish(message)
    compute = function("compute_metrics")

    assert push(compute, changed[0]) == 200

    days = sorted(r.as_of for r in runs(engine))
    assert len(days) == 13 and days[-1] == today()  # today and the last 12 month ends
    with engine.begin() as conn:
        conn.execute(text("UPDATE businesses SET active = false"))
        conn.execute(text("DELETE FROM metric_runs"))
    assert push(compute, changed[0]) == 200
    assert runs(engine) == []


def test_the_daily_tick_without_a_day_refreshes_the_day_that_is_over(
    engine: Engine, business: Any
) -> None:
    ticks = capture(topics.DAILY_REFRESH)
    requests = capture(topics.METRICS_REFRESH_REQUESTED)
    get_local_bus().publish(DailyRefresh())

    assert push(function("schedule_refresh"), ticks[0]) == 200

    [asked] = [MetricsRefreshRequested.model_validate_json(_data(e)) for e in requests]
    assert asked.as_of == today() - timedelta(days=1)
