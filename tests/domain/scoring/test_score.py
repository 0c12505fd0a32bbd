"""The score of hand-made profiles, with the arithmetic written out: components, their sum,
confidence, the dispute ceiling and the top factors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from vaultra.domain.scoring.score import score_metrics

D = Decimal
AT = datetime(2026, 11, 20, 6, tzinfo=UTC)

PROFILE: dict[str, Any] = {
    "gross_volume_12m": 22_000_000,  # 220,000 USD
    "arr": 24_000_000,  # 240,000 USD: the better of the two
    "cmgr_6m": D("0.025"),
    "mrr_cmgr_6m": D("0.03"),
    "revenue_volatility_cv_12m": D("0.12"),
    "customer_churn_rate_3m": D("0.025"),
    "nrr_12m": D("1.04"),
    "dispute_activity_ratio_30d": D("0.001"),
    "dispute_activity_ratio_90d": D("0.001"),
    "refund_rate_90d": D("0.03"),
    "payouts_failed_90d": 0,
    "payout_paid_streak": 60,
    "top_customer_share_12m": D("0.06"),
    "top5_customer_share_12m": D("0.21"),
    "months_of_history": 30,
    "data_through": "2026-11-20T05:00:00+00:00",
    "last_synced_at": "2026-11-20T05:00:00+00:00",  # an hour before AT
    "gross_volume_by_currency_12m": {"usd": 22_000_000},
    "currency_coverage_12m": D(1),
}


def points(score: Any) -> dict[str, int]:
    return {c.key: c.points for c in score.components}


def test_a_hand_made_profile_scores_as_the_bands_say() -> None:
    score = score_metrics(PROFILE, "usd", AT)

    assert points(score) == {
        "revenue_scale": 9,  # ARR 240,000 ≥ 200,000
        "growth": 6,  # the better of 2.5 % and 3 % reaches "≥ 2 %"
        "stability": 10,  # CV 12 % ≤ 15 %
        "retention": 10,  # churn 2.5 % ≤ 3 %: 5; NRR 104 % ≥ 100 %: 5
        "payment_risk": 18,  # disputes 0.1 % ≤ 0.3 %: 14; refunds 3 % ≤ 5 %: 4
        "payout_reliability": 8,  # no failure: 5; 60 paid ≥ 12: 3
        "concentration": 9,  # top 6 % ≤ 10 %: 5; top five 21 % ≤ 30 %: 4
        "history": 14,  # 30 months ≥ 24
        "data_quality": 4,  # 1 hour old: 3; all volume in USD: 1
    }
    assert score.score == 9 + 6 + 10 + 10 + 18 + 8 + 9 + 14 + 4 == 88
    assert score.confidence == "high" and score.missing == ()
    # lost: growth 4, revenue scale 3, retention 3, payment risk 2; ties by key
    assert [(f.key, f.points_lost, f.could_gain) for f in score.top_factors] == [
        ("growth", 4, 4),
        ("retention", 3, 3),
        ("revenue_scale", 3, 3),
    ]


def test_a_business_without_subscription_data_gets_half_marks_and_medium_confidence() -> None:
    profile = {**PROFILE, "customer_churn_rate_3m": None, "nrr_12m": None}
    notes = {"nrr_12m": "no customers a year ago"}

    score = score_metrics(profile, "usd", AT, notes)

    # retention: 7 // 2 + 6 // 2 = 3 + 3 = 6 instead of 10, so 88 − 10 + 6 = 84
    assert points(score)["retention"] == 6 and score.score == 84
    # 13 of 100 points without data: 87 % backed, under 90 % → medium
    assert score.confidence == "medium"
    assert "net revenue retention (12 months): no customers a year ago" in score.missing


def test_disputes_above_the_vamp_line_hold_the_score_at_40_on_a_line_of_its_own() -> None:
    profile = {**PROFILE, "dispute_activity_ratio_90d": D("0.016")}

    score = score_metrics(profile, "usd", AT)

    # disputes 1.6 % ≤ 1.8 %: 1 point instead of 14, so 88 − 13 = 75 before the ceiling of 40
    assert points(score)["payment_risk"] == 5
    assert points(score)["dispute_ceiling"] == 40 - 75
    assert score.score == 40 == sum(points(score).values())
    # the ceiling is the largest factor; fixing payment risk alone is absorbed by it
    factors = {f.key: (f.points_lost, f.could_gain) for f in score.top_factors}
    assert factors["dispute_ceiling"] == (35, 35)
    assert factors["payment_risk"] == (15, 0)


def test_a_quiet_week_is_fresh_data_while_stripe_is_still_heard_from() -> None:
    # The last sale 8 days before AT (192 hours), the last webhook an hour before it: freshness
    # reads the sync, 1 hour ≤ 24: 3 of 3 (score-2 read the sale: 192 > 168, 0 of 3)
    quiet = {**PROFILE, "data_through": "2026-11-12T06:00:00+00:00"}
    assert points(score_metrics(quiet, "usd", AT))["data_quality"] == 4

    # nothing heard for 50 hours (AT − 50 h = 18 November 04:00): 48 < 50 ≤ 168, 1 of 3
    silent = {**quiet, "last_synced_at": "2026-11-18T04:00:00+00:00"}
    score = score_metrics(silent, "usd", AT)
    assert points(score)["data_quality"] == 1 + 1
    assert (
        "Time since Stripe was last heard from 50 hours"
        in score.component("data_quality").explanation
    )


def test_a_seasonal_upswing_is_not_growth_once_a_year_can_be_compared() -> None:
    # Six months compounded to a December peak: 12 % a month, 10 of 10 on its own. A year of
    # history compares the last three months with the same three a year earlier: 20 % up over the
    # year, 1.2^(1/12) − 1 = 1.53 % a month, "flat to slightly growing" (0 ≤ 1.53 % < 2 %): 4.
    shop = {**PROFILE, "cmgr_6m": D("0.12"), "mrr_cmgr_6m": None, "cmgr_yoy": D("0.015309")}

    score = score_metrics(shop, "usd", AT)

    assert points(score)["growth"] == 4
    explained = score.component("growth").explanation
    assert "(revenue, the last 3 complete months on the same 3 a year earlier" in explained
    # without a year to compare (a young shop), the six months decide as before
    young = score_metrics({**shop, "cmgr_yoy": None}, "usd", AT)
    assert points(young)["growth"] == 10
    # MRR growth still counts for the better of the two: 3 % a month → 6
    assert points(score_metrics({**shop, "mrr_cmgr_6m": D("0.03")}, "usd", AT))["growth"] == 6


def test_stability_reads_the_volatility_with_the_season_taken_out_once_it_is_known() -> None:
    # A holiday peak: the 12 complete months' CV is 63.8 % (60–80 %, "very variable": 3 of 10).
    # Divided month by month by last year's seasonal index, what is left varies by 4 % (≤ 15 %,
    # "very steady": 10 of 10): the peak came back as it was.
    shop = {
        **PROFILE,
        "revenue_volatility_cv_12m": D("0.638285"),
        "revenue_volatility_cv_12m_seasonally_adjusted": D("0.04"),
    }

    score = score_metrics(shop, "usd", AT)

    [stability] = score.component("stability").criteria
    assert (stability.metric, stability.points) == (
        "revenue_volatility_cv_12m_seasonally_adjusted",
        10,
    )
    assert score.component("stability").explanation == (
        "Revenue volatility (CV of 12 complete months) (with the season taken out: each month "
        "divided by its month's index from the year before) 4.00 %, very steady (under 15 %) "
        "(10 of 10)."
    )
    # a lower raw CV changes nothing while the adjusted one is known: it is not read
    steadier_raw = score_metrics({**shop, "revenue_volatility_cv_12m": D("0.01")}, "usd", AT)
    assert steadier_raw.component("stability").explanation == (
        score.component("stability").explanation
    )
    assert steadier_raw.score == score.score
    # without 24 complete months there is no seasonal index: the raw CV decides, as before
    young = score_metrics(
        {**shop, "revenue_volatility_cv_12m_seasonally_adjusted": None}, "usd", AT
    )
    assert points(young)["stability"] == 3
    assert "(as measured, the season included) 63.8285 %, very variable (60–80 %) (3 of 10)" in (
        young.component("stability").explanation
    )


def test_a_shop_without_subscriptions_is_scored_on_its_repeat_buyers() -> None:
    # No MRR, so no churn and no NRR: repeat buyers stand in. 30 % bought twice or more ≥ 28 %
    # (the e-commerce average): 5 of 7; they bring 42 % of the volume, 35–50 %: 4 of 6.
    shop = {
        **PROFILE,
        "mrr": 0,
        "customer_churn_rate_3m": None,
        "nrr_12m": None,
        "repeat_purchase_rate_12m": D("0.30"),
        "repeat_customer_revenue_share_12m": D("0.42"),
    }

    score = score_metrics(shop, "usd", AT)

    # 88 − 10 (the profile's retention) + 5 + 4 = 87, every point backed by data: high
    assert points(score)["retention"] == 5 + 4 and score.score == 87
    assert score.confidence == "high" and score.missing == ()
    explained = score.component("retention").explanation
    assert "Customers who bought twice or more (12 months) 30.00 %" in explained

    # with subscriptions, a missing NRR stays at half marks: repeat buyers are no stand-in there
    saas = score_metrics({**shop, "mrr": 120_000}, "usd", AT)
    assert points(saas)["retention"] == 7 // 2 + 6 // 2
    # and a shop whose customers are all guests has nothing to stand in: half marks
    guests = {**shop, "repeat_purchase_rate_12m": None, "repeat_customer_revenue_share_12m": None}
    assert points(score_metrics(guests, "usd", AT))["retention"] == 3 + 3
