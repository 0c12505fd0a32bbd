"""Computing and saving metrics: tenant isolation, idempotent recomputes, nothing partial on
failure, versions kept side by side, and data versions deciding what is already seen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db import unit_of_work
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.domain.metrics.formulas import compute_metrics
from vaultra.domain.metrics.periods import Periods
from vaultra.domain.metrics.records import ChargeRecord, Ledger, StateRecord
from vaultra.domain.mrr import Item
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus
from vaultra.events.publisher import Publisher
from vaultra.services.metrics import Metrics, MetricsRun, compute_metric_set, month_ends_before
from vaultra_dev.reference_metrics import reference_aggregates

from tests.support.ledger_records import load_ledger, new_business

D = date(2026, 3, 31)


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def ledger(amount: int, seats: int) -> Ledger:
    return Ledger(
        charges=(
            ChargeRecord("ch_1", at(2), amount, "usd", "cus_1"),
            ChargeRecord("ch_2", at(20, 2), amount, "usd", "cus_2"),
        ),
        states=(
            StateRecord("sub_1", "cus_1", at(1, 1), "active", (Item(1000, seats, "month", 1),)),
        ),
    )


def refresh(
    engine: Engine,
    business: Any,
    day: date,
    *,
    data_version: str | None = None,
    publisher: Publisher | None = None,
) -> MetricsRun:
    return Metrics(Database(engine), publisher).refresh(business, day, data_version=data_version)


def committed_version(engine: Engine) -> str:
    """The id of a fresh transaction: later than every commit so far."""
    with Database(engine).transaction() as uow:
        return uow.transaction_id()


def saved(engine: Engine, business: Any, day: date = D) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT metric, value FROM metric_snapshots "
                    "WHERE business_id = :b AND as_of = :d"
                ),
                {"b": business, "d": day},
            ).all()
        )


def add_charge(engine: Engine, business: Any, charge_id: str, amount: int) -> None:
    with engine.begin() as conn:
        load_ledger(
            conn, business, Ledger(charges=(ChargeRecord(charge_id, at(5), amount, "usd"),))
        )


def test_another_businesss_rows_with_the_same_stripe_ids_never_count(engine: Engine) -> None:
    # Two tenants hold the same Stripe ids (e.g. the live and the test link of one account).
    mine, theirs = ledger(2000, 3), ledger(9000, 7)
    with engine.begin() as conn:
        a, b = new_business(conn, "A"), new_business(conn, "B")
        load_ledger(conn, a, mine)
        load_ledger(conn, b, theirs)
        for business, records in ((a, mine), (b, theirs)):
            expected = compute_metrics(reference_aggregates(records, Periods(D), "usd"), Periods(D))
            assert compute_metric_set(UnitOfWork(conn), business, D).values == expected.values
        assert compute_metric_set(UnitOfWork(conn), a, D).values["mrr"] == 3000  # 3 seats × 1,000


def test_recomputing_an_unchanged_ledger_writes_the_same_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))

    first = refresh(engine, business, D)
    rows = saved(engine, business)
    again = refresh(engine, business, D)

    assert first.outcome == again.outcome == "computed"
    assert saved(engine, business) == rows
    assert rows["gross_volume_month"] == 2000 and rows["nrr_12m"] is None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metric_runs")).scalar_one() == 1


def test_a_failed_computation_leaves_the_previous_snapshot_whole(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))
    refresh(engine, business, D)
    before = saved(engine, business)
    add_charge(engine, business, "ch_new", 500)
    with engine.begin() as conn:  # the database refuses the write half-way through the save
        conn.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$;"
                "CREATE TRIGGER refuse BEFORE INSERT ON metric_snapshots "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse()"
            )
        )

    with pytest.raises(Exception, match="disk full"):
        refresh(engine, business, D)

    assert saved(engine, business) == before  # the delete and the run row rolled back too
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse ON metric_snapshots"))
    assert refresh(engine, business, D).outcome == "computed"  # the lock was released
    assert saved(engine, business)["gross_volume_month"] == 2500


def test_a_recompute_touches_only_its_day_and_a_new_policy_version_keeps_the_old_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))
    refresh(engine, business, date(2026, 2, 28))
    february = saved(engine, business, date(2026, 2, 28))
    add_charge(engine, business, "ch_new", 500)

    monkeypatch.setattr(unit_of_work, "POLICY_VERSION", "metrics-next")
    refresh(engine, business, D)

    assert saved(engine, business, date(2026, 2, 28)) == february
    with engine.connect() as conn:
        versions = conn.execute(
            text("SELECT DISTINCT as_of, policy_version FROM metric_snapshots ORDER BY 1")
        ).all()
    assert versions == [(date(2026, 2, 28), "metrics-3"), (D, "metrics-next")]


def test_a_change_already_seen_is_not_computed_again_and_a_new_one_is(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))
    seen = committed_version(engine)
    refresh(engine, business, D)

    assert refresh(engine, business, D, data_version=seen).outcome == "already_seen"
    add_charge(engine, business, "ch_new", 500)
    change = committed_version(engine)
    assert refresh(engine, business, D, data_version=change).outcome == "computed"
    assert saved(engine, business)["gross_volume_month"] == 2500


def test_a_version_seen_on_another_day_is_computed_for_this_day(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
    seen = committed_version(engine)
    refresh(engine, business, date(2026, 2, 28))

    assert refresh(engine, business, D, data_version=seen).outcome == "computed"


def test_history_is_computed_for_the_last_twelve_month_ends(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))

    runs = Metrics(Database(engine), None).history(business, date(2026, 4, 15))

    assert [r.as_of for r in runs] == month_ends_before(date(2026, 4, 15), 12)
    assert [r.as_of for r in runs][-2:] == [date(2026, 2, 28), date(2026, 3, 31)]
    assert month_ends_before(date(2024, 3, 10), 1) == [date(2024, 2, 29)]
    assert saved(engine, business, date(2026, 3, 31))["mrr"] == 3000


def test_a_lost_announcement_goes_out_on_the_redelivery_and_only_once(engine: Engine) -> None:
    with engine.begin() as conn:
        business = new_business(conn)
        load_ledger(conn, business, ledger(2000, 3))
    change = committed_version(engine)
    down = LocalBus()
    down.close()  # the bus is unreachable when the run commits

    with pytest.raises(RuntimeError, match="closed"):
        refresh(engine, business, D, data_version=change, publisher=down)

    assert saved(engine, business)["mrr"] == 3000  # the computation itself is kept
    bus, announced = LocalBus(), []
    bus.subscribe(topics.METRICS_COMPUTED, announced.append)
    redelivered = refresh(engine, business, D, data_version=change, publisher=bus)
    again = refresh(engine, business, D, data_version=change, publisher=bus)

    assert redelivered.outcome == again.outcome == "already_seen"
    assert len(announced) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT published_at FROM metric_runs")).scalar() is not None
