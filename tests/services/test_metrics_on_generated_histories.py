"""Whole generated histories, ingested through the real paths (signed webhooks, or the backfill
against the loopback Stripe API), give the same aggregates in SQL as in the reference
implementation at every month end of their history, and their MRR movements reconcile exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from vaultra.db.businesses import LinkedAccount
from vaultra.db.metrics_query import ledger_aggregates, resolve_currency
from vaultra.db.unit_of_work import Database
from vaultra.domain.metrics.aggregates import Aggregates
from vaultra.domain.metrics.formulas import compute_metrics
from vaultra.domain.metrics.periods import Periods, add_months, last_day_of_month
from vaultra.events.local_bus import LocalBus
from vaultra.sample_data.generator import StripeHistory, generate
from vaultra.services.backfill import Backfill
from vaultra.stripe.client import build_client
from vaultra_dev.reference_metrics import reference_aggregates
from vaultra_dev.stripe_api import StripeApiServer

from tests.services.test_ingest_equivalence import deliver, link
from tests.support.ledger_records import read_ledger

NOW = int(datetime(2026, 11, 1, 15, tzinfo=UTC).timestamp())
NOW_DAY = datetime.fromtimestamp(NOW, UTC).date()


def backfill(
    engine: Engine, history: StripeHistory, account: LinkedAccount, now: int = NOW
) -> None:
    with StripeApiServer() as server:
        server.add_history(history)
        client = build_client(
            server.api_key, server.base_url, account=history.account, requests_per_s=1000
        )
        Backfill(
            Database(engine),
            client,
            account,
            LocalBus(),
            clock=lambda: datetime.fromtimestamp(now, UTC),
        ).run()


def as_of_days(history: StripeHistory) -> list[date]:
    """Every month end of the history (plus the month before it began), and the last day."""
    first = min(datetime.fromtimestamp(e["created"], UTC).date() for e in history.events).replace(
        day=1
    )
    days, month = [], add_months(first, -1)
    while month <= NOW_DAY:
        days.append(min(last_day_of_month(month), NOW_DAY))
        month = add_months(month, 1)
    return [*days, NOW_DAY + timedelta(days=1)]


def reconciles(agg: Aggregates) -> bool:
    m, mv = agg.mrr, agg.mrr.movements
    return m.mrr_end - m.mrr_month_start == (
        mv.new + mv.expansion + mv.reactivation - mv.contraction - mv.churn
    )


@pytest.mark.parametrize(
    ("archetype", "path", "scale"),
    [
        ("steady_saas", "webhook", 0.15),
        ("early_stage", "webhook", 1.0),
        ("risky_merchant", "backfill", 0.25),
        ("seasonal_ecommerce", "backfill", 0.15),
        ("steady_saas", "backfill", 0.15),
    ],
)
def test_sql_equals_the_reference_at_every_month_end_and_movements_reconcile(
    engine: Engine, archetype: str, path: str, scale: float
) -> None:
    history = generate(archetype, seed=4, now=NOW, account=f"acct_1Metrics{archetype}", scale=scale)
    account = link(engine, history.account)
    if path == "webhook":
        deliver(engine, history.events)
    else:
        backfill(engine, history, account)

    with engine.connect() as conn:
        currency = resolve_currency(conn, account.business_id)
        assert currency == "usd"
        ledger = read_ledger(conn, account.business_id, currency)
        days = as_of_days(history)
        for day in days:
            periods = Periods(day)
            from_sql = ledger_aggregates(conn, account.business_id, periods, currency)
            assert from_sql == reference_aggregates(ledger, periods, currency), day
            assert reconciles(from_sql), day
    final = compute_metrics(from_sql, periods)
    assert final.values["months_of_history"] > 0
    if archetype in ("steady_saas", "early_stage"):
        assert final.values["mrr"] > 0  # the histories are subscription businesses
