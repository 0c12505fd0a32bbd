"""Late data: a change to a past day recomputes the stored runs it makes stale — the month ends of
the trend and any other stored day from that day on — not only today's, and announces each so
their scores follow. Days before the change, and runs that already saw it, are left alone."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.reconciliation import Reconciliation
from vaultra.db.unit_of_work import Database
from vaultra.domain.metrics.formulas import POLICY_VERSION
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.events.messages import MetricsComputed, MetricsRefreshRequested
from vaultra.services import metrics as metrics_service
from vaultra.services.businesses import add_business
from vaultra.services.metrics import Metrics, month_ends_before

from tests.support.recording_bus import Recorder
from tests.support.services import deliver
from tests.support.stripe_payloads import ACCOUNT, charge

TODAY = datetime.now(UTC).date()
# Three month ends before today's month: M-3, M-2 (the late charge's month) and M-1.
M3, M2, M1 = month_ends_before(TODAY, 3)


@pytest.fixture
def business(db: Database) -> Any:
    return add_business(db, "Late Co", ACCOUNT, livemode=False).business_id


def deliver_charge(db: Database, charge_id: str, amount: int, created: datetime) -> str:
    """A charge.succeeded webhook for a charge made at `created`; returns the version its "data
    changed" message carries."""
    return deliver(
        db, "charge.succeeded", charge(charge_id, amount=amount, created=int(created.timestamp()))
    )


def in_month(month_end: date, day: int) -> datetime:
    return datetime(month_end.year, month_end.month, day, 12, tzinfo=UTC)


def runs(engine: Engine, business: Any) -> dict[date, tuple[datetime, int, int]]:
    """Each stored day: when it was computed, its month's volume and its 12 months' volume."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.as_of, r.computed_at, "
                "(SELECT value FROM metric_snapshots s WHERE s.business_id = r.business_id "
                " AND s.as_of = r.as_of AND s.metric = 'gross_volume_month') AS month, "
                "(SELECT value FROM metric_snapshots s WHERE s.business_id = r.business_id "
                " AND s.as_of = r.as_of AND s.metric = 'gross_volume_12m') AS year "
                "FROM metric_runs r WHERE r.business_id = :b"
            ),
            {"b": business},
        ).all()
    return {r.as_of: (r.computed_at, int(r.month), int(r.year)) for r in rows}


def past_change(engine: Engine, business: Any) -> tuple[datetime | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT past_changed_from, past_changed_xid FROM ledger_versions "
                "WHERE business_id = :b"
            ),
            {"b": business},
        ).one()
    return row.past_changed_from, row.past_changed_xid


def computed_days(bus: Recorder) -> list[date]:
    return [m.as_of for m in bus.sent if isinstance(m, MetricsComputed)]


def only_today_is_recomputed(
    engine: Engine, db: Database, business: Any, version: str, before: dict[date, Any]
) -> None:
    """The change marked nothing in the past: refreshed, only today is computed, and every stored
    day of `before` is as it was."""
    assert past_change(engine, business) == (None, None)
    bus = Recorder()
    Metrics(db, bus).refresh(business, TODAY, data_version=version)
    assert computed_days(bus) == [TODAY]
    after = runs(engine, business)
    assert {d: after[d] for d in before} == before


def test_a_late_charge_recomputes_the_month_ends_from_its_day_on_and_announces_each(
    engine: Engine, db: Database, business: Any
) -> None:
    deliver_charge(db, "ch_on_time", 1000, in_month(M2, 10))
    metrics = Metrics(db, Recorder())
    metrics.history(business, TODAY, months=3)
    metrics.refresh(business, TODAY)
    before = runs(engine, business)
    # M-3 is before both charges; M-2 holds the 1,000 of the 10th; M-1 has them in its 12 months.
    assert [before[d][1:] for d in (M3, M2, M1)] == [(0, 0), (1000, 1000), (0, 1000)]
    assert past_change(engine, business) == (None, None)  # caught up

    # A webhook delivered late: a charge of 500 made on the 15th of M-2.
    version = deliver_charge(db, "ch_late", 500, in_month(M2, 15))
    assert past_change(engine, business)[0] == in_month(M2, 15)
    bus = Recorder()
    run = Metrics(db, bus).refresh(business, TODAY, data_version=version)

    after = runs(engine, business)
    # M-2: 1,000 + 500 = 1,500 in its month and its 12 months; M-1: 0 in its month, 1,500 in its
    # 12 months; today likewise 1,500 over 12 months.
    assert after[M2][1:] == (1500, 1500)
    assert after[M1][1:] == (0, 1500)
    assert after[TODAY][2] == 1500
    assert after[M3] == before[M3]  # before the change: not recomputed at all
    # Today's run, then the stale month ends, newest first; each announced for its score.
    assert run.computations == 3
    assert computed_days(bus) == [TODAY, M1, M2]
    assert past_change(engine, business) == (None, None)


def test_a_redelivered_late_change_recomputes_nothing_again(
    engine: Engine, db: Database, business: Any
) -> None:
    bus = Recorder()
    Metrics(db, bus).history(business, TODAY, months=2)
    version = deliver_charge(db, "ch_late", 500, in_month(M2, 15))
    Metrics(db, bus).refresh(business, TODAY, data_version=version)
    settled = runs(engine, business)

    bus.sent.clear()
    again = Metrics(db, bus).refresh(business, TODAY, data_version=version)

    assert again.outcome == "already_seen" and again.computations == 0
    assert runs(engine, business) == settled and bus.sent == []


def test_the_history_of_an_unchanged_ledger_is_not_computed_again(
    engine: Engine, db: Database, business: Any
) -> None:
    deliver_charge(db, "ch_on_time", 1000, in_month(M2, 10))
    first = Metrics(db, None).history(business, TODAY, months=3)
    stored = runs(engine, business)

    again = Metrics(db, None).history(business, TODAY, months=3)

    # Three month ends computed once; asked again, each has already seen the ledger as it is.
    assert [r.outcome for r in first] == ["computed"] * 3
    assert [(r.outcome, r.computations) for r in again] == [("already_seen", 0)] * 3
    assert runs(engine, business) == stored


def test_every_stored_day_from_the_change_on_is_recomputed_not_only_month_ends(
    engine: Engine, db: Database, business: Any
) -> None:
    metrics = Metrics(db, None)
    mid_month = M1 - timedelta(days=10)
    for day in (M2, mid_month, M1):  # a daily refresh stored a day inside M-1 too
        metrics.refresh(business, day)
    assert [runs(engine, business)[d][2] for d in (M2, mid_month, M1)] == [0, 0, 0]

    version = deliver_charge(db, "ch_late", 700, in_month(M2, 3))
    metrics.refresh(business, TODAY, data_version=version)

    after = runs(engine, business)
    assert [after[d][2] for d in (M2, mid_month, M1, TODAY)] == [700, 700, 700, 700]


def test_a_change_to_today_leaves_the_stored_past_alone(
    engine: Engine, db: Database, business: Any
) -> None:
    Metrics(db, None).history(business, TODAY, months=2)
    before = runs(engine, business)

    now = datetime.now(UTC)
    if now.date() != (now - timedelta(seconds=5)).date():
        pytest.skip("a charge made seconds ago would belong to yesterday")
    version = deliver_charge(db, "ch_today", 900, now - timedelta(seconds=5))

    only_today_is_recomputed(engine, db, business, version, before)


def test_a_refund_of_an_old_charge_recomputes_no_stored_past_day(
    engine: Engine, db: Database, business: Any
) -> None:
    """Stripe updates the old charge's refunded total (`charge.refunded`); no metric reads it,
    and the refund itself is dated today: the stored month ends stay as they are."""
    sold = in_month(M2, 10)
    deliver_charge(db, "ch_old", 1000, sold)
    Metrics(db, None).history(business, TODAY, months=3)
    before = runs(engine, business)

    refunded = charge("ch_old", amount=1000, created=int(sold.timestamp()))
    refunded.update(amount_refunded=400, refunded=False)
    version = deliver(
        db, "charge.refunded", refunded, event_id="evt_refunded", created=int(time.time())
    )

    only_today_is_recomputed(engine, db, business, version, before)


def test_a_past_change_committed_during_the_catch_up_is_kept_for_the_next_one(
    engine: Engine, db: Database, business: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = Metrics(db, None)
    for day in (M2, M1):
        metrics.refresh(business, day)
    first = deliver_charge(db, "ch_late_1", 100, in_month(M1, 20))

    # While the catch-up recomputes M-1, another late charge, of M-2, commits.
    compute = metrics_service.compute_metric_set
    delivered: list[str] = []

    def compute_while_another_arrives(uow: Any, business_id: Any, as_of: date) -> Any:
        if as_of == M1 and not delivered:
            delivered.append(deliver_charge(db, "ch_late_2", 40, in_month(M2, 2)))
        return compute(uow, business_id, as_of)

    monkeypatch.setattr(metrics_service, "compute_metric_set", compute_while_another_arrives)
    metrics.refresh(business, TODAY, data_version=first)

    # The holder caught up with the second change too before it let go: M-2 holds the 40, and
    # M-1 both (100 + 40 over its 12 months), and nothing waits.
    after = runs(engine, business)
    assert delivered and after[M2][2] == 40 and after[M1][2] == 140
    assert past_change(engine, business) == (None, None)


def test_a_catch_up_cut_short_is_handed_over_and_found_by_the_reconciliation_tick(
    engine: Engine, db: Database, business: Any
) -> None:
    Metrics(db, None).refresh(business, M1)
    version = deliver_charge(db, "ch_late", 500, in_month(M2, 15))
    bus = Recorder()
    # A holder whose budget is spent computes the live day, then hands the past over.
    Metrics(db, bus, hold_budget_s=0).refresh(business, TODAY, data_version=version)
    assert runs(engine, business)[M1][2] == 0  # not yet caught up
    (handed_over,) = [m for m in bus.sent if isinstance(m, MetricsRefreshRequested)]
    assert handed_over.as_of == TODAY
    with engine.connect() as conn:
        behind = Reconciliation(conn, POLICY_VERSION, MODEL_VERSION).behind(TODAY, 0)
    assert [b.what for b in behind if b.business_id == business] == ["metrics"]

    # The live day's run already saw that version: the message is still not "already seen".
    run = Metrics(db, None).refresh(
        business, handed_over.as_of, data_version=handed_over.data_version
    )
    assert run.computations == 1 and runs(engine, business)[M1][2] == 500
    with engine.connect() as conn:
        behind = Reconciliation(conn, POLICY_VERSION, MODEL_VERSION).behind(TODAY, 0)
    # Only its score is behind now (nothing scores in this test).
    assert [b.what for b in behind if b.business_id == business] == ["score"]


def test_a_month_end_of_another_business_is_never_touched(
    engine: Engine, db: Database, business: Any
) -> None:
    other = add_business(db, "Other Co", "acct_other", livemode=False).business_id
    Metrics(db, None).refresh(other, M1)
    before = runs(engine, other)

    version = deliver_charge(db, "ch_late", 500, in_month(M2, 15))
    Metrics(db, None).refresh(business, TODAY, data_version=version)

    assert runs(engine, other) == before
