"""The account's `default_currency` kept current by `account.updated`: the metrics' currency
follows the account, every stored day is recomputed in it (a currency is in every metric of
every day), and events delivered late, again, or without a currency change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.services.apply_events import record_default_currency
from vaultra.services.businesses import add_business
from vaultra.services.metrics import Metrics, month_ends_before

from tests.support.recording_bus import Recorder
from tests.support.services import deliver
from tests.support.stripe_payloads import ACCOUNT, charge

TODAY = datetime.now(UTC).date()
(LAST_MONTH,) = month_ends_before(TODAY, 1)
IN_LAST_MONTH = datetime(LAST_MONTH.year, LAST_MONTH.month, 10, 12, tzinfo=UTC)
NOW = int(datetime.now(UTC).timestamp())


@pytest.fixture
def business(db: Database) -> Any:
    return add_business(db, "Currency Co", ACCOUNT, livemode=False).business_id


def account_updated(
    db: Database, currency: str | None, created: int, event_id: str, account_id: str = ACCOUNT
) -> str:
    account = {"id": account_id, "object": "account", "default_currency": currency, "created": 0}
    return deliver(db, "account.updated", account, event_id=event_id, created=created)


def sell(db: Database, charge_id: str, amount: int, currency: str) -> None:
    created = int(IN_LAST_MONTH.timestamp())
    deliver(
        db, "charge.succeeded", charge(charge_id, amount=amount, currency=currency, created=created)
    )


def runs(engine: Engine, business: Any) -> dict[date, tuple[str, int]]:
    """Each stored day's currency and last month's volume in it."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.as_of, r.currency, (SELECT value FROM metric_snapshots s "
                " WHERE s.business_id = r.business_id AND s.as_of = r.as_of "
                " AND s.metric = 'gross_volume_month') AS month "
                "FROM metric_runs r WHERE r.business_id = :b"
            ),
            {"b": business},
        ).all()
    return {r.as_of: (r.currency, int(r.month)) for r in rows}


def recorded(engine: Engine, business: Any) -> tuple[str | None, object, object]:
    """The business's currency, and the past change still to catch up (none: None)."""
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(
                text(
                    "SELECT b.default_currency, v.past_changed_from, v.past_changed_xid "
                    "FROM businesses b LEFT JOIN ledger_versions v ON v.business_id = b.id "
                    "WHERE b.id = :b"
                ),
                {"b": business},
            ).one()
        )


def event_outcome(engine: Engine, event_id: str) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, error FROM stripe_events WHERE id = :e"), {"e": event_id}
        ).one()
    return row.status, row.error


def test_a_new_default_currency_recomputes_every_stored_day_in_it(
    engine: Engine, db: Database, business: Any
) -> None:
    # Three dollar sales and one in euros: the currency inferred is the dollar's (most sales).
    for n in range(3):
        sell(db, f"ch_usd_{n}", 1_000, "usd")
    sell(db, "ch_eur", 2_000, "eur")
    metrics = Metrics(db, Recorder())
    metrics.history(business, TODAY, months=1)
    metrics.refresh(business, TODAY)
    assert runs(engine, business)[LAST_MONTH] == ("usd", 3_000)  # 3 × 1,000; the euros aside

    account_updated(db, "eur", NOW, "evt_account_eur")
    metrics.refresh(business, TODAY)

    # Every stored day in euros: 2,000 (the dollars have no settled amount in euros)
    assert runs(engine, business) == {LAST_MONTH: ("eur", 2_000), TODAY: ("eur", 0)}
    assert recorded(engine, business) == ("eur", None, None)  # caught up
    assert event_outcome(engine, "evt_account_eur") == ("applied", None)


def test_an_older_report_delivered_late_changes_nothing(
    engine: Engine, db: Database, business: Any
) -> None:
    account_updated(db, "eur", NOW, "evt_newer")
    Metrics(db, Recorder()).refresh(business, TODAY)  # catches the change up
    assert recorded(engine, business) == ("eur", None, None)

    account_updated(db, "usd", NOW - 3600, "evt_older")  # sent an hour before, arriving now

    assert recorded(engine, business) == ("eur", None, None)


def test_the_same_currency_again_or_a_redelivery_marks_nothing_to_recompute(
    engine: Engine, db: Database, business: Any
) -> None:
    account_updated(db, "eur", NOW - 60, "evt_first")
    Metrics(db, Recorder()).refresh(business, TODAY)

    account_updated(db, "eur", NOW, "evt_same_currency")  # another property changed
    account_updated(db, "eur", NOW - 60, "evt_first")  # redelivered

    assert recorded(engine, business) == ("eur", None, None)


@pytest.mark.parametrize(
    ("currency", "account_id", "reason"),
    [
        (None, ACCOUNT, "the account has no valid `default_currency`"),
        ("jpy", "acct_1SomeoneElse", "the account updated is not the event's connected account"),
    ],
    ids=["no currency", "another account"],
)
def test_an_update_that_cannot_be_the_businesss_currency_is_ignored_with_the_reason(
    engine: Engine, db: Database, business: Any, currency: str | None, account_id: str, reason: str
) -> None:
    account_updated(db, currency, NOW, "evt_ignored", account_id=account_id)

    assert event_outcome(engine, "evt_ignored") == ("ignored", reason)
    assert recorded(engine, business)[0] is None


def test_the_backfills_reading_is_a_report_like_any_other(
    engine: Engine, db: Database, business: Any
) -> None:
    """A reading by the backfill is as of when it was made: an event sent before it, delivered
    after, does not undo it (tests/services/test_backfill.py covers the reading itself)."""
    with db.transaction() as uow:
        changed = record_default_currency(
            uow, business, {"default_currency": "GBP"}, datetime.now(UTC)
        )
    account_updated(db, "usd", NOW - 5, "evt_before_the_reading")

    assert changed
    assert recorded(engine, business)[0] == "gbp"
