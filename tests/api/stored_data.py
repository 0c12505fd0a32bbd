"""Stored data for report, sharing and export tests: a business's saved metric runs at month ends
and on its latest day, scored by the real scoring service — what the ingest path leaves behind —
and a few ledger rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime
from vaultra.domain.metrics.periods import add_months, last_day_of_month

from tests.support.ledger_records import save_metrics

DAY = date(2026, 11, 20)
D = Decimal

PROFILE: dict[str, Any] = {
    "mrr": 2_000_000,
    "arr": 24_000_000,
    "paying_customers": 80,
    "mrr_growth_mom": D("0.03"),
    "cmgr_6m": D("0.025"),
    "gross_volume_month": 1_900_000,
    "gross_volume_12m": 22_000_000,
    "gross_volume_90d": 6_000_000,
    "gross_volume_by_currency_12m": {"usd": 22_000_000},
    "currency_coverage_12m": D(1),
    "mrr_by_currency": {"usd": 2_000_000},
    "fx_rates_12m": {"eur": 1_085_000},  # 1 EUR = 1.085 USD, on its few EUR sales
    "revenue_volatility_cv_12m": D("0.12"),
    "customer_churn_rate": D("0.02"),
    "customer_churn_rate_3m": D("0.025"),
    "nrr_12m": D("1.04"),
    "grr_12m": D("0.93"),
    "dispute_activity_ratio_month": D("0.001"),
    "dispute_activity_ratio_mastercard_month": D("0.001"),
    "dispute_activity_ratio_90d": D("0.001"),
    "refund_rate_90d": D("0.03"),
    "payouts_failed_90d": 0,
    "payout_paid_streak": 60,
    "last_payout_failure_at": None,
    "top_customer_share_12m": D("0.06"),
    "top5_customer_share_12m": D("0.21"),
    "months_of_history": 30,
}


def month_ends(day: date, months: int) -> list[date]:
    return [last_day_of_month(add_months(day.replace(day=1), -k)) for k in range(months, 0, -1)]


def mrr_on(day: date, months: int) -> int:
    """MRR growing by 50,000 minor units a month up to 2,000,000 on `DAY`."""
    return 2_000_000 - 50_000 * (months - month_ends(DAY, months).index(day) if day != DAY else 0)


def scored_business(runtime: Runtime, engine: Engine, business_id: str, *, months: int = 6) -> date:
    """Metric runs at the `months` month ends before DAY and on DAY, each scored; returns DAY."""
    ends = month_ends(DAY, months)
    for day in [*ends, DAY]:
        computed = datetime.combine(day, time(6), UTC)
        values = {
            **PROFILE,
            "mrr": mrr_on(day, months),
            "gross_volume_month": 1_500_000 + 40_000 * (ends.index(day) if day in ends else months),
            "data_through": f"{day.isoformat()}T05:00:00+00:00",
            "last_synced_at": f"{day.isoformat()}T05:40:00+00:00",  # a webhook since
        }
        with engine.begin() as conn:
            save_metrics(conn, uuid.UUID(business_id), day, values, computed_at=computed)
        assert runtime.readiness.score(uuid.UUID(business_id), day) is not None
    return DAY


def ledger_rows(engine: Engine, business_id: str, marker: str) -> None:
    """A customer and a charge whose ids carry `marker`."""
    common = {
        "b": business_id,
        "t": datetime(2026, 10, 1, tzinfo=UTC),
        "k": f"evt_{marker}",
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (business_id, id, livemode, created, version_at, "
                "version_key, currency) VALUES (:b, :id, false, :t, :t, :k, 'usd')"
            ),
            {**common, "id": f"cus_{marker}"},
        )
        conn.execute(
            text(
                "INSERT INTO charges (business_id, id, livemode, created, version_at, version_key,"
                " customer_id, amount, amount_captured, amount_refunded, currency, status, paid,"
                " captured, refunded, disputed) VALUES (:b, :id, false, :t, :t, :k, :c, 4200,"
                " 4200, 0, 'usd', 'succeeded', true, true, false, false)"
            ),
            {**common, "id": f"ch_{marker}", "c": f"cus_{marker}"},
        )
