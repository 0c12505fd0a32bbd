"""The reconciliation tick: it asks again for exactly what is behind — metrics that did not see
the ledger's latest change, a day without metrics, a run without its score — and for nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from vaultra.db.unit_of_work import Database
from vaultra.events.messages import MetricsComputed, MetricsRefreshRequested
from vaultra.services.businesses import add_business
from vaultra.services.metrics import Metrics
from vaultra.services.readiness import Readiness
from vaultra.services.reconcile import reconcile

from tests.support.recording_bus import Recorder
from tests.support.services import deliver
from tests.support.stripe_payloads import ACCOUNT, charge

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


@pytest.fixture
def business(db: Database) -> Any:
    return add_business(db, "Reconciled Co", ACCOUNT, livemode=False).business_id


def store_charge(db: Database, n: int) -> None:
    """A webhook stores a charge; its "data changed" message goes nowhere (lost)."""
    deliver(
        db, "charge.succeeded", charge(f"ch_{n}"), event_id=f"evt_{n}", created=1_700_000_000 + n
    )


def up_to_date(db: Database, business: Any) -> None:
    today = datetime.now(UTC).date()
    assert Metrics(db, None).refresh(business, today).outcome == "computed"
    assert Readiness(db).score(business, today) is not None


def test_a_business_whose_latest_change_its_metrics_did_not_see_is_asked_for_again(
    db: Database, business: Any
) -> None:
    store_charge(db, 1)
    up_to_date(db, business)
    store_charge(db, 2)  # its message is lost
    bus = Recorder()

    report = reconcile(db, bus, grace_s=0)

    [asked] = bus.sent
    assert isinstance(asked, MetricsRefreshRequested) and asked.business_id == business
    assert (report.metrics_requested, report.scores_requested) == (1, 0)
    # The request carries the ledger's version: computing it makes the business current.
    run = Metrics(db, None).refresh(business, asked.as_of, data_version=asked.data_version)
    assert run.outcome == "computed"
    Readiness(db).score(business, asked.as_of)
    assert reconcile(db, Recorder(), grace_s=0).metrics_requested == 0


def test_a_business_up_to_date_is_left_alone(db: Database, business: Any) -> None:
    store_charge(db, 1)
    up_to_date(db, business)
    bus = Recorder()

    report = reconcile(db, bus, grace_s=0)

    assert bus.sent == [] and (report.metrics_requested, report.scores_requested) == (0, 0)


def test_a_change_younger_than_the_grace_is_left_to_its_own_message(
    db: Database, business: Any
) -> None:
    store_charge(db, 1)
    up_to_date(db, business)
    store_charge(db, 2)

    assert reconcile(db, Recorder(), grace_s=600).metrics_requested == 0
    with db.transaction() as uow:  # ten minutes later
        uow.conn.execute(text("UPDATE ledger_versions SET changed_at = now() - interval '11 min'"))
    assert reconcile(db, Recorder(), grace_s=600).metrics_requested == 1


def test_a_day_without_metrics_is_asked_for(db: Database, business: Any) -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    Metrics(db, None).refresh(business, yesterday)
    bus = Recorder()

    reconcile(db, bus, grace_s=0)

    [asked] = bus.sent
    assert isinstance(asked, MetricsRefreshRequested)
    assert asked.as_of == datetime.now(UTC).date()


def test_a_run_whose_score_was_lost_is_scored_again(db: Database, business: Any) -> None:
    store_charge(db, 1)
    Metrics(db, None).refresh(business, datetime.now(UTC).date())  # "metrics computed" lost
    bus = Recorder()

    report = reconcile(db, bus, grace_s=0)

    [asked] = bus.sent
    assert isinstance(asked, MetricsComputed) and asked.business_id == business
    assert (report.metrics_requested, report.scores_requested) == (0, 1)


def test_inactive_and_unlinked_businesses_are_never_asked_for(db: Database, business: Any) -> None:
    other = add_business(db, "Revoked Co", "acct_1RevokedAccount0", livemode=False).business_id
    with db.transaction() as uow:
        uow.conn.execute(
            text("UPDATE businesses SET active = false WHERE id = :b"), {"b": business}
        )
        uow.businesses.mark_deauthorized("acct_1RevokedAccount0", False, 1_700_000_000)
        uow.conn.execute(text("INSERT INTO businesses (name) VALUES ('Never linked')"))
    bus = Recorder()

    reconcile(db, bus, grace_s=0)

    assert bus.sent == [] and other is not None
