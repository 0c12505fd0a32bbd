"""Raw Stripe events are kept 90 days (RAW_EVENT_RETENTION_DAYS) after they were received, then
deleted by the daily refresh — in bounded batches, oldest first — except events still waiting
for their account to be linked, the only copy of what they carry until then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.services import daily_refresh
from vaultra.services.daily_refresh import prune_raw_events

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _event(engine: Engine, event_id: str, days_ago: float, status: str = "applied") -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO stripe_events (id, source, body, status, received_at) "
                "VALUES (:id, 'webhook', '{}', :status, :at)"
            ),
            {"id": event_id, "status": status, "at": NOW - timedelta(days=days_ago)},
        )


def _left(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM stripe_events")).scalars())


def test_events_older_than_the_retention_go_and_the_rest_stay(engine: Engine) -> None:
    _event(engine, "evt_old_applied", 120)
    _event(engine, "evt_old_ignored", 91, "ignored")
    _event(engine, "evt_old_failed", 400, "failed")
    _event(engine, "evt_old_waiting_for_a_link", 200, "pending_link")
    _event(engine, "evt_89_days", 89)
    _event(engine, "evt_today", 0)

    pruned = prune_raw_events(Database(engine), 90, clock=lambda: NOW)

    assert pruned == 3
    assert _left(engine) == {"evt_old_waiting_for_a_link", "evt_89_days", "evt_today"}
    assert prune_raw_events(Database(engine), 90, clock=lambda: NOW) == 0  # again: nothing


def test_a_backlog_goes_in_batches_until_none_is_left(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daily_refresh, "PRUNE_BATCH", 2)
    for n in range(5):
        _event(engine, f"evt_backlog_{n}", 100 + n)
    _event(engine, "evt_recent", 3)

    assert prune_raw_events(Database(engine), 90, clock=lambda: NOW) == 5
    assert _left(engine) == {"evt_recent"}
