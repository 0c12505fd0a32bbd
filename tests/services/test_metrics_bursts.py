"""Bursts settle: "already seen" is decided before any lock or wait, a change to the live day that
finds its business busy is left to the holder, and the holder keeps the live day's run current —
while it holds the lock, and once more after letting it go."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db import locks
from vaultra.db.unit_of_work import Database, Session
from vaultra.events import topics
from vaultra.events.cloudevent import message_from_cloud_event
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import MetricsRefreshRequested
from vaultra.services import metrics as metrics_service
from vaultra.services.businesses import add_business
from vaultra.services.metrics import Metrics

from tests.support.services import deliver
from tests.support.stripe_payloads import ACCOUNT, charge

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def business(db: Database) -> Any:
    return add_business(db, "Burst Co", ACCOUNT, livemode=False).business_id


def store_charge(db: Database, n: int) -> str:
    """A delivered charge of 1,000; returns the data version its message would carry."""
    created = int(time.time()) - 60
    charged = charge(f"ch_{n}", amount=1000, created=created)
    return deliver(db, "charge.succeeded", charged, event_id=f"evt_{n}")


def volume(db: Database, business: Any, day: date) -> int:
    with db.transaction() as uow:
        saved = uow.metrics.load(business, day)
    assert saved is not None
    return int(saved.values["gross_volume_month"])


def sees_ledger(db: Database, business: Any, day: date) -> bool:
    with db.transaction() as uow:
        return uow.metrics.sees_ledger(business, day)


class Holder:
    """Another instance computing the business: a connection holding its lock."""

    def __init__(self, engine: Engine, business: Any) -> None:
        self.key = {"k": locks.lock_key(locks.METRICS, business)}
        self.conn = engine.connect()
        self.conn.execute(text("SELECT pg_advisory_lock(:k)"), self.key)

    def close(self) -> None:
        # A session lock outlives a connection returned to the pool: release it first.
        self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), self.key)
        self.conn.close()


def a_change_commits_during_the_first_computation(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A charge is stored (and committed) while the next computation runs, after it took its
    snapshot: that computation cannot have seen it."""
    compute = metrics_service.compute_metric_set
    during: list[str] = []

    def compute_while_a_change_commits(uow: Any, business_id: Any, as_of: date) -> Any:
        if not during:
            during.append(store_charge(db, 2))
        return compute(uow, business_id, as_of)

    monkeypatch.setattr(metrics_service, "compute_metric_set", compute_while_a_change_commits)


def hold(engine: Engine, business: Any) -> Holder:
    return Holder(engine, business)


def test_a_change_already_seen_is_answered_without_waiting_for_the_lock(
    engine: Engine, db: Database, business: Any
) -> None:
    version = store_charge(db, 1)
    Metrics(db, None).refresh(business, today())
    holder = hold(engine, business)
    try:
        started = time.monotonic()
        run = Metrics(db, None, debounce_s=5).refresh(
            business, today(), data_version=version, debounce=True, wait_s=5
        )
        elapsed = time.monotonic() - started
    finally:
        holder.close()

    assert run.outcome == "already_seen" and run.computations == 0
    assert elapsed < 1.0  # neither the lock nor the debounce was waited for


def test_a_change_that_arrives_during_the_debounce_is_folded_into_the_same_computation(
    db: Database, business: Any
) -> None:
    store_charge(db, 1)
    Metrics(db, None).refresh(business, today())  # today's run exists
    late: list[Any] = []

    def burst_continues(_seconds: float) -> None:
        if late:
            return
        version = store_charge(db, 2)  # committed while the holder waits…
        other = Metrics(db, None)
        late.append(other.refresh(business, today(), data_version=version))  # …and finds it busy
        late.append(other.coalesces(business, today()))

    run = Metrics(db, None, debounce_s=0.01, sleep=burst_continues).refresh(
        business, today(), debounce=True
    )

    assert late[0].outcome == "busy" and late[1] is True  # acknowledged: left to the holder
    assert run.computations == 1  # read after the debounce: the change was already in
    assert volume(db, business, today()) == 2000 and sees_ledger(db, business, today())


def test_a_change_committed_as_the_holder_lets_go_is_seen_by_its_last_check(
    db: Database, business: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_charge(db, 1)
    Metrics(db, None).refresh(business, today())
    unlock = Session.unlock
    changed: list[str] = []

    def change_then_unlock(self: Session, namespace: str, value: object) -> None:
        if not changed:  # the last moment a busy message could have been acknowledged
            changed.append(store_charge(db, 2))
        unlock(self, namespace, value)

    monkeypatch.setattr(Session, "unlock", change_then_unlock)
    run = Metrics(db, None).refresh(business, today())

    assert run.computations == 2
    assert volume(db, business, today()) == 2000 and sees_ledger(db, business, today())


def test_a_busy_business_is_not_a_holders_promise_for_another_day_or_a_first_run(
    engine: Engine, db: Database, business: Any
) -> None:
    metrics = Metrics(db, None)
    store_charge(db, 1)

    assert metrics.coalesces(business, today()) is False  # no run of today to keep current
    metrics.refresh(business, today())
    assert metrics.coalesces(business, today()) is True
    assert metrics.coalesces(business, today() - timedelta(days=1)) is False


def test_a_caller_that_may_wait_waits_for_the_running_computation_then_computes(
    engine: Engine, db: Database, business: Any
) -> None:
    store_charge(db, 1)
    holder = hold(engine, business)
    threading.Timer(0.5, holder.close).start()  # the other computation ends in half a second
    waited: list[bool] = []

    run = Metrics(db, None).refresh(
        business, today(), wait_s=10, on_wait=lambda: waited.append(True)
    )

    assert waited == [True] and run.outcome == "computed"
    assert volume(db, business, today()) == 1000


def test_a_caller_that_may_not_wait_is_told_the_business_is_busy(
    engine: Engine, db: Database, business: Any
) -> None:
    holder = hold(engine, business)
    try:
        run = Metrics(db, None).refresh(business, today())
    finally:
        holder.close()

    assert run.outcome == "busy" and run.computations == 0


def test_a_change_committed_during_the_computation_is_computed_again_under_the_same_lock(
    db: Database, business: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_charge(db, 1)
    Metrics(db, None).refresh(business, today())
    a_change_commits_during_the_first_computation(db, monkeypatch)
    run = Metrics(db, None).refresh(business, today())

    assert run.computations == 2
    assert volume(db, business, today()) == 2000 and sees_ledger(db, business, today())


def test_a_holder_whose_budget_is_spent_hands_the_live_day_over_to_a_message(
    db: Database, business: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_charge(db, 1)
    Metrics(db, None).refresh(business, today())
    a_change_commits_during_the_first_computation(db, monkeypatch)
    sent: list[Any] = []
    bus = LocalBus()
    bus.subscribe(topics.METRICS_REFRESH_REQUESTED, sent.append)

    run = Metrics(db, bus, hold_budget_s=0).refresh(business, today())

    assert run.computations == 1  # the budget allowed no second pass…
    [handed] = [message_from_cloud_event(e, MetricsRefreshRequested) for e in sent]
    assert handed.business_id == business and handed.as_of == today()  # …so a message asks
    with db.transaction() as uow:
        assert handed.data_version == uow.ledger.version(business)
