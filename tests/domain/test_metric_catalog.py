"""The catalog, the formulas and docs/METRICS.md name the same metrics."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from vaultra.domain.metrics.aggregates import Aggregates, MonthTotals
from vaultra.domain.metrics.catalog import BY_KEY, CATALOG
from vaultra.domain.metrics.formulas import compute_metrics
from vaultra.domain.metrics.periods import Periods

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "METRICS.md"
REQUIRED = [
    "mrr",
    "arr",
    "paying_customers",
    "arpa",
    "mrr_new",
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_reactivation",
    "customer_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "quick_ratio",
    "nrr_12m",
    "grr_12m",
    "gross_volume_month",
    "gross_volume_12m",
    "refunded_amount_month",
    "disputed_amount_month",
    "net_volume_month",
    "revenue_growth_mom",
    "cmgr_6m",
    "revenue_volatility_cv_12m",
    "refund_rate_90d",
    "disputes_count_month",
    "dispute_activity_ratio_month",
    "payout_failure_rate_90d",
    "top_customer_share_12m",
    "top5_customer_share_12m",
    "hhi_12m",
    "months_of_history",
    "data_through",
]


def empty_metrics() -> dict[str, object]:
    aggregates = Aggregates("usd", tuple(MonthTotals() for _ in range(12)))
    return compute_metrics(aggregates, Periods(date(2026, 11, 26))).values


def test_the_formulas_produce_exactly_the_catalog() -> None:
    assert list(empty_metrics()) and set(empty_metrics()) == set(BY_KEY)
    assert len(BY_KEY) == len(CATALOG)


def test_every_metric_the_issue_requires_is_produced() -> None:
    assert set(REQUIRED) <= set(empty_metrics())


def test_every_metric_is_defined_in_the_metric_policy() -> None:
    documented = set(re.findall(r"`([a-z0-9_]+)`", METRICS_DOC.read_text()))
    assert {m.key for m in CATALOG} <= documented
