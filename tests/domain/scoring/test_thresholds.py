"""Every criterion's bands at their edges, as docs/SCORING.md states them: a value exactly on a
limit earns that band ("≥" for higher-is-better, "≤" for lower-is-better), the smallest step past
it earns the next band down."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vaultra.domain.scoring.criteria import evaluate
from vaultra.domain.scoring.model import COMPONENTS, CRITERIA

D = Decimal

CASES = [
    # annual revenue, USD (best of 12-month gross volume and ARR), in cents
    ("annual_revenue", "gross_volume_12m", 100_000_000, 12),
    ("annual_revenue", "gross_volume_12m", 99_999_999, 11),
    ("annual_revenue", "gross_volume_12m", 50_000_000, 11),
    ("annual_revenue", "gross_volume_12m", 20_000_000, 9),
    ("annual_revenue", "gross_volume_12m", 19_999_999, 7),
    ("annual_revenue", "gross_volume_12m", 12_000_000, 7),
    ("annual_revenue", "gross_volume_12m", 6_000_000, 5),
    ("annual_revenue", "gross_volume_12m", 1_200_000, 3),
    ("annual_revenue", "gross_volume_12m", 500_000, 1),
    ("annual_revenue", "gross_volume_12m", 499_999, 0),
    # monthly growth
    ("growth_rate", "cmgr_6m", D("0.10"), 10),
    ("growth_rate", "cmgr_6m", D("0.099999"), 8),
    ("growth_rate", "cmgr_6m", D("0.05"), 8),
    ("growth_rate", "cmgr_6m", D("0.02"), 6),
    ("growth_rate", "cmgr_6m", D("0"), 4),
    ("growth_rate", "cmgr_6m", D("-0.000001"), 2),
    ("growth_rate", "cmgr_6m", D("-0.03"), 2),
    ("growth_rate", "cmgr_6m", D("-0.030001"), 0),
    # revenue volatility (LendFriend's published bands, scaled to 10 points)
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.15"), 10),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.150001"), 9),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.25"), 9),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.40"), 7),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.60"), 5),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.80"), 3),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("0.800001"), 2),
    ("revenue_volatility", "revenue_volatility_cv_12m", D("9.5"), 2),
    # customer churn, monthly
    ("customer_churn", "customer_churn_rate_3m", D("0.01"), 7),
    ("customer_churn", "customer_churn_rate_3m", D("0.010001"), 6),
    ("customer_churn", "customer_churn_rate_3m", D("0.03"), 5),
    ("customer_churn", "customer_churn_rate_3m", D("0.05"), 3),
    ("customer_churn", "customer_churn_rate_3m", D("0.08"), 1),
    ("customer_churn", "customer_churn_rate_3m", D("0.080001"), 0),
    # net revenue retention
    ("revenue_retention", "nrr_12m", D("1.10"), 6),
    ("revenue_retention", "nrr_12m", D("1.099999"), 5),
    ("revenue_retention", "nrr_12m", D("1.00"), 5),
    ("revenue_retention", "nrr_12m", D("0.90"), 4),
    ("revenue_retention", "nrr_12m", D("0.80"), 2),
    ("revenue_retention", "nrr_12m", D("0.799999"), 0),
    # dispute activity (the card networks' tiers)
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.003"), 14),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.003001"), 11),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.0065"), 11),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.006501"), 7),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.009"), 7),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.015"), 3),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.015001"), 1),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.018"), 1),
    ("dispute_activity", "dispute_activity_ratio_30d", D("0.018001"), 0),
    # refund rate
    ("refund_rate", "refund_rate_90d", D("0.02"), 6),
    ("refund_rate", "refund_rate_90d", D("0.020001"), 4),
    ("refund_rate", "refund_rate_90d", D("0.05"), 4),
    ("refund_rate", "refund_rate_90d", D("0.08"), 2),
    ("refund_rate", "refund_rate_90d", D("0.12"), 1),
    ("refund_rate", "refund_rate_90d", D("0.120001"), 0),
    # payouts
    ("payout_failures", "payouts_failed_90d", 0, 5),
    ("payout_failures", "payouts_failed_90d", 1, 2),
    ("payout_failures", "payouts_failed_90d", 2, 0),
    ("payout_streak", "payout_paid_streak", 12, 3),
    ("payout_streak", "payout_paid_streak", 11, 2),
    ("payout_streak", "payout_paid_streak", 4, 2),
    ("payout_streak", "payout_paid_streak", 1, 1),
    ("payout_streak", "payout_paid_streak", 0, 0),
    # concentration (practitioners' comfort lines: top customer 20 %, top five 50 %)
    ("top_customer", "top_customer_share_12m", D("0.10"), 5),
    ("top_customer", "top_customer_share_12m", D("0.20"), 4),
    ("top_customer", "top_customer_share_12m", D("0.200001"), 2),
    ("top_customer", "top_customer_share_12m", D("0.35"), 2),
    ("top_customer", "top_customer_share_12m", D("0.50"), 1),
    ("top_customer", "top_customer_share_12m", D("0.500001"), 0),
    ("top_five", "top5_customer_share_12m", D("0.30"), 4),
    ("top_five", "top5_customer_share_12m", D("0.50"), 3),
    ("top_five", "top5_customer_share_12m", D("0.500001"), 1),
    ("top_five", "top5_customer_share_12m", D("0.65"), 1),
    ("top_five", "top5_customer_share_12m", D("0.650001"), 0),
    # history (the lenders' published minimums: 3, 6, 9 months)
    ("months_on_stripe", "months_of_history", 24, 14),
    ("months_on_stripe", "months_of_history", 23, 12),
    ("months_on_stripe", "months_of_history", 18, 12),
    ("months_on_stripe", "months_of_history", 12, 10),
    ("months_on_stripe", "months_of_history", 9, 7),
    ("months_on_stripe", "months_of_history", 8, 5),
    ("months_on_stripe", "months_of_history", 6, 5),
    ("months_on_stripe", "months_of_history", 3, 2),
    ("months_on_stripe", "months_of_history", 2, 0),
    # data
    ("freshness", "data_age_hours", 24, 3),
    ("freshness", "data_age_hours", 25, 2),
    ("freshness", "data_age_hours", 48, 2),
    ("freshness", "data_age_hours", 168, 1),
    ("freshness", "data_age_hours", 169, 0),
    ("currency_coverage", "currency_coverage_12m", D("0.99"), 1),
    ("currency_coverage", "currency_coverage_12m", D("0.989999"), 0),
]


@pytest.mark.parametrize(("criterion", "metric", "value", "points"), CASES)
def test_a_value_earns_the_points_of_the_band_it_reaches(
    criterion: str, metric: str, value: int | Decimal, points: int
) -> None:
    result = evaluate(CRITERIA[criterion], {metric: value}, "usd")

    assert (result.status, result.points) == ("scored", points)


def test_the_cases_reach_every_band_of_every_criterion() -> None:
    reached = {(c, p) for c, _, _, p in CASES}
    for criterion in CRITERIA.values():
        for band in criterion.bands:
            assert (criterion.key, band.points) in reached, (criterion.key, band.meaning)
        assert (criterion.key, 0) in reached or criterion.key == "revenue_volatility"


def test_weights_add_up_to_one_hundred() -> None:
    assert sum(c.max_points for c in COMPONENTS) == 100


def test_several_inputs_combine_by_their_best_or_their_worst_band() -> None:
    # annual revenue takes the better of 12-month volume (3 points) and ARR (9 points)
    best = evaluate(
        CRITERIA["annual_revenue"], {"gross_volume_12m": 1_200_000, "arr": 20_000_000}, "usd"
    )
    # dispute activity takes the worse of 30 days (0 %, 14) and 90 days (0.7 %, 7)
    worst = evaluate(
        CRITERIA["dispute_activity"],
        {"dispute_activity_ratio_30d": D(0), "dispute_activity_ratio_90d": D("0.007")},
        "usd",
    )

    assert (best.points, best.metric) == (9, "arr")
    assert (worst.points, worst.metric) == (7, "dispute_activity_ratio_90d")


def test_a_criterion_without_data_earns_half_marks_and_says_why() -> None:
    result = evaluate(
        CRITERIA["revenue_retention"],
        {"nrr_12m": None},
        "usd",
        {"nrr_12m": "no customers a year ago"},
    )

    assert (result.status, result.points, result.reason) == (
        "no_data",
        3,
        "no customers a year ago",
    )


def test_money_in_another_currency_is_compared_at_stripes_usd_rate_or_not_at_all() -> None:
    # 200,000 GBP in pence at 1 USD = 0.8 GBP: 250,000 USD, the 200K band (9). Without a rate
    # neither pounds nor yen are compared with dollars: half marks, with the reason.
    criterion = CRITERIA["annual_revenue"]
    pounds = evaluate(
        criterion, {"gross_volume_12m": 20_000_000, "fx_rates_12m": {"usd": 800_000}}, "gbp"
    )
    no_rate = evaluate(criterion, {"gross_volume_12m": 20_000_000}, "gbp")
    yen = evaluate(criterion, {"gross_volume_12m": 200_000}, "jpy")

    assert (pounds.points, pounds.usd_value) == (9, D(250_000))
    assert (no_rate.status, no_rate.points) == ("no_data", 6)
    assert (yen.status, yen.points) == ("no_data", 6)
    assert "no USD sale of the 12 months settled in JPY" in yen.reason
