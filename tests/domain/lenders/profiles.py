"""Hand-made metric profiles for the lender tests, and a way to read one product's fit."""

from __future__ import annotations

from decimal import Decimal

from vaultra.domain.lenders import LenderFit, assess_lenders
from vaultra.domain.metrics.formulas import MetricValue

# The 12 months of the series for an as-of day in November 2026, oldest first; 2026-11 is the
# month in progress.
MONTHS = (
    "2025-12",
    "2026-01",
    "2026-02",
    "2026-03",
    "2026-04",
    "2026-05",
    "2026-06",
    "2026-07",
    "2026-08",
    "2026-09",
    "2026-10",
    "2026-11",
)

Metrics = dict[str, MetricValue]


def series(each: int, **overrides: int) -> dict[str, int]:
    """Every month at `each` minor units, except `overrides` given as m2026_02=800_000."""
    values = dict.fromkeys(MONTHS, each)
    for name, amount in overrides.items():
        values[name[1:].replace("_", "-")] = amount
    return values


def strong() -> Metrics:
    """A SaaS business that meets every measurable criterion of every product in its currency.

    MRR 20,000.00 (ARR 240,000.00); 300,000.00 over 12 months at 25,000.00 a month; 36,000.00
    over 90 days; 30 months of history; GRR 90 %.
    """
    return {
        "mrr": 2_000_000,
        "arr": 24_000_000,
        "mrr_previous_month_end": 2_000_000,
        "paying_customers": 80,
        "months_of_history": 30,
        "gross_volume_12m": 30_000_000,
        "gross_volume_90d": 3_600_000,
        "gross_volume_month": 2_500_000,
        "gross_volume_by_month_12m": series(2_500_000),
        "nrr_12m": Decimal("1.05"),
        "grr_12m": Decimal("0.90"),
        "customer_churn_rate_3m": Decimal("0.02"),
        "dispute_activity_ratio_90d": Decimal("0.0012"),
        "data_through": "2026-11-25T23:10:00Z",
        "last_synced_at": "2026-11-25T23:10:00Z",
    }


def with_(base: Metrics, **changes: MetricValue) -> Metrics:
    return {**base, **changes}


def fit_of(key: str, metrics: Metrics, currency: str | None = "usd") -> LenderFit:
    return next(f for f in assess_lenders(metrics, currency) if f.key == key)


def gap_texts(fit: LenderFit) -> list[str]:
    return [gap.text for gap in fit.unmet]
