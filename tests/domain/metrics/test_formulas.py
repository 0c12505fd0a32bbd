"""From aggregates to the metric set, on hand-built aggregates (arithmetic in the comments).

Ratios are exact until rounded once, half up, to 6 decimal places (HHI to 2); money is rounded
half up to a minor unit; a zero denominator gives None and a reason in `notes`, never 0 or NaN.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from vaultra.domain.metrics.aggregates import (
    Aggregates,
    MonthTotals,
    MrrAggregates,
    MrrMovements,
)
from vaultra.domain.metrics.formulas import (
    MetricSet,
    compute_metrics,
    seasonal_indices,
    seasonality_strength,
    seasonally_adjusted,
    to_decimal,
)
from vaultra.domain.metrics.periods import Periods

from tests.support.metric_contract import REQUIRED_METRICS

# As of 2026-02-15 the scanned months are February 2025 … February 2026 (indices 0 … 12): the
# published series is March 2025 … February 2026 (1 … 12), the complete months February 2025 …
# January 2026 (0 … 11). The last complete month is January (11), six months before it July (5).
D = date(2026, 2, 15)
P = Periods(D)
THIS_MONTH, LAST_COMPLETE, BEFORE_LAST, SIX_BEFORE = 12, 11, 10, 5


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def months(
    gross: dict[int, int] | None = None, charges: dict[int, int] | None = None
) -> tuple[MonthTotals, ...]:
    """The 13 scanned month totals, oldest first; keys are indices (12 = D's month, 11 = the last
    complete month, 0 = twelve complete months back)."""
    gross, charges = gross or {}, charges or {}
    return tuple(MonthTotals(gross.get(i, 0), charges.get(i, 0)) for i in range(13))


def metrics(**fields: Any) -> MetricSet:
    fields.setdefault("months", months())
    return compute_metrics(Aggregates(currency="usd", **fields), P)


def with_mrr(**fields: Any) -> MetricSet:
    return metrics(mrr=MrrAggregates(**fields))


# --- zero denominators ----------------------------------------------------------------------------


def test_an_empty_account_has_zeros_for_amounts_and_null_with_a_reason_for_ratios() -> None:
    m = metrics()
    assert set(m.values) >= REQUIRED_METRICS
    assert m.values == {
        "mrr": 0,
        "arr": 0,
        "paying_customers": 0,
        "arpa": None,
        "mrr_new": 0,
        "mrr_expansion": 0,
        "mrr_contraction": 0,
        "mrr_churn": 0,
        "mrr_reactivation": 0,
        "mrr_previous_month_end": 0,
        "mrr_growth_mom": None,
        "mrr_30_days_before": 0,
        "mrr_growth_30d": None,
        "mrr_180_days_before": 0,
        "mrr_cmgr_6m": None,
        "customers_churned_month": 0,
        "customer_churn_rate": None,
        "gross_mrr_churn_rate": None,
        "net_mrr_churn_rate": None,
        "quick_ratio": None,
        "nrr_12m": None,
        "grr_12m": None,
        "customer_churn_rate_3m": None,
        "ltv": None,
        "mrr_by_currency": {},
        "fx_rates_12m": {},
        "gross_volume_month": 0,
        "gross_volume_12m": 0,
        "gross_volume_90d": 0,
        "gross_volume_by_month_12m": dict.fromkeys(
            [f"2025-{month:02d}" for month in range(3, 13)] + ["2026-01", "2026-02"], 0
        ),
        "gross_volume_by_currency_12m": {},
        "currency_coverage_12m": None,
        "refunded_amount_month": 0,
        "disputed_amount_month": 0,
        "net_volume_month": 0,
        "revenue_growth_mom": None,
        "cmgr_6m": None,
        "gross_volume_3m": 0,
        "gross_volume_3m_year_earlier": 0,
        "revenue_growth_yoy": None,
        "cmgr_yoy": None,
        "revenue_volatility_cv_12m": None,
        "revenue_volatility_cv_12m_seasonally_adjusted": None,
        "seasonality_strength_24m": None,
        "refund_rate_90d": None,
        "disputes_count_month": 0,
        "inquiries_count_month": 0,
        "charges_count_month": 0,
        "dispute_activity_ratio_month": None,
        "dispute_activity_ratio_mastercard_month": None,
        "charges_count_30d": 0,
        "disputes_count_30d": 0,
        "dispute_activity_ratio_30d": None,
        "charges_count_90d": 0,
        "disputes_count_90d": 0,
        "dispute_activity_ratio_90d": None,
        "payouts_failed_90d": 0,
        "payout_failure_rate_90d": None,
        "payout_paid_streak": 0,
        "last_payout_failure_at": None,
        "customers_12m": 0,
        "top_customer_share_12m": None,
        "top5_customer_share_12m": None,
        "hhi_12m": None,
        "repeat_customers_12m": 0,
        "repeat_purchase_rate_12m": None,
        "repeat_customer_revenue_share_12m": None,
        "months_of_history": 0,
        "data_through": None,
        "last_synced_at": None,
    }
    # every null has a reason
    nulls = {k for k, value in m.values.items() if value is None}
    assert nulls - {"last_payout_failure_at"} <= set(m.notes)
    assert all(m.notes[k] for k in nulls - {"last_payout_failure_at"})
    assert "no paying customers" in m.notes["arpa"]
    assert "no MRR at the end of the previous month" in m.notes["gross_mrr_churn_rate"]
    assert "twelve months before" in m.notes["nrr_12m"]
    assert "before the last complete month" in m.notes["revenue_growth_mom"]
    assert "no MRR 30 days before" in m.notes["mrr_growth_30d"]
    assert "no MRR 180 days before" in m.notes["mrr_cmgr_6m"]
    assert "30 days ending at D" in m.notes["dispute_activity_ratio_30d"]
    assert "90 days" in m.notes["refund_rate_90d"]
    assert "no succeeded charge" in m.notes["months_of_history"]
    assert "currency" not in m.notes  # the account currency is known


def test_no_ratio_is_ever_zero_or_nan_for_a_zero_denominator() -> None:
    # numerators without denominators: refunds but no sales, disputes but no charges,
    # new MRR but no churn or contraction
    m = metrics(
        refunded_90d=500,
        disputes_month=1,
        disputes_90d=1,
        disputes_30d=1,
        mrr=MrrAggregates(mrr_end=5_000, paying_end=1, movements=MrrMovements(new=5_000)),
    )
    for key in (
        "refund_rate_90d",
        "dispute_activity_ratio_month",
        "dispute_activity_ratio_30d",
        "dispute_activity_ratio_90d",
        "quick_ratio",
        "mrr_growth_mom",
        "mrr_growth_30d",
        "mrr_cmgr_6m",
        "customer_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
    ):
        assert m.values[key] is None, key
        assert m.notes[key], key
    assert m.notes["quick_ratio"] == "no churn or contraction in the month"
    assert m.notes["dispute_activity_ratio_month"] == "no succeeded charges in the month"


def test_an_unknown_currency_is_noted() -> None:
    m = compute_metrics(Aggregates(currency=None, months=months()), P)
    assert m.currency is None
    assert "currency is unknown" in m.notes["currency"]


# --- rounding -------------------------------------------------------------------------------------


def test_ratios_round_half_up_to_six_places() -> None:
    assert to_decimal(Fraction(1, 3)) == Decimal("0.333333")
    assert to_decimal(Fraction(2, 3)) == Decimal("0.666667")
    # 5 / 2,000,000 = 0.0000025 exactly: half up → 0.000003 (half even would give 0.000002)
    m = metrics(refunded_90d=5, gross_90d=2_000_000)
    assert m.values["refund_rate_90d"] == Decimal("0.000003")
    # 1 / 2,000,000 = 0.0000005 → 0.000001, not 0
    assert metrics(refunded_90d=1, gross_90d=2_000_000).values["refund_rate_90d"] == Decimal(
        "0.000001"
    )
    # 999,999 / 1,000,000 = 0.999999 exactly; 1,999,999 / 2,000,000 = 0.9999995 → 1.000000
    assert metrics(refunded_90d=999_999, gross_90d=1_000_000).values["refund_rate_90d"] == (
        Decimal("0.999999")
    )
    assert metrics(refunded_90d=1_999_999, gross_90d=2_000_000).values["refund_rate_90d"] == (
        Decimal("1.000000")
    )


def test_arpa_rounds_half_up_to_a_minor_unit() -> None:
    # 10,001 / 2 = 5,000.5 → 5,001; 10,000 / 3 = 3,333.33… → 3,333; 20,000 / 3 = 6,666.66… → 6,667
    assert with_mrr(mrr_end=10_001, paying_end=2).values["arpa"] == 5_001
    assert with_mrr(mrr_end=10_000, paying_end=3).values["arpa"] == 3_333
    assert with_mrr(mrr_end=20_000, paying_end=3).values["arpa"] == 6_667


def test_hhi_is_ten_thousand_times_the_sum_of_squared_shares_to_two_places() -> None:
    # two parties of 1,000 and 2,000: shares 1/3 and 2/3;
    # 10,000 × (1/9 + 4/9) = 50,000 / 9 = 5,555.555… → 5,555.56
    m = metrics(
        gross_12m=3_000,
        customers_12m=2,
        top1_12m=2_000,
        top5_12m=3_000,
        sum_squares_12m=1_000**2 + 2_000**2,
    )
    assert m.values["hhi_12m"] == Decimal("5555.56")
    assert m.values["top_customer_share_12m"] == Decimal("0.666667")  # 2,000 / 3,000
    assert m.values["top5_customer_share_12m"] == Decimal("1.000000")  # 3,000 / 3,000
    assert m.values["customers_12m"] == 2


def test_hhi_rounds_half_up() -> None:
    # parties of 1,999 and 1 (total 2,000): Σv² = 3,996,001 + 1 = 3,996,002;
    # 10,000 × 3,996,002 / 2,000² = 3,996,002 / 400 = 9,990.005 → 9,990.01 (half even: 9,990.00)
    m = metrics(
        gross_12m=2_000,
        customers_12m=2,
        top1_12m=1_999,
        top5_12m=2_000,
        sum_squares_12m=1_999**2 + 1,
    )
    assert m.values["hhi_12m"] == Decimal("9990.01")
    # a single party: 10,000 × 1² = 10,000.00
    single = metrics(
        gross_12m=700,
        customers_12m=1,
        top1_12m=700,
        top5_12m=700,
        sum_squares_12m=700**2,
    )
    assert single.values["hhi_12m"] == Decimal("10000.00")


# --- MRR ------------------------------------------------------------------------------------------


def test_mrr_ratios_from_the_months_movements() -> None:
    # start of month 19,000 over 3 customers; new 5,000, expansion 3,000, reactivation 4,500,
    # contraction 2,500, churn 7,000 → end 19,000 + 12,500 − 9,500 = 22,000 over 4 customers
    m = with_mrr(
        mrr_end=22_000,
        mrr_month_start=19_000,
        paying_end=4,
        paying_month_start=3,
        churned_month=1,
        movements=MrrMovements(
            new=5_000, expansion=3_000, contraction=2_500, churn=7_000, reactivation=4_500
        ),
        starting_3m=(2, 3, 3),
        churned_3m=(1, 0, 1),
    )
    v = m.values
    assert v["mrr"] == 22_000
    assert v["arr"] == 264_000  # 22,000 × 12
    assert v["arpa"] == 5_500  # 22,000 / 4
    assert v["mrr_previous_month_end"] == 19_000
    assert v["mrr_growth_mom"] == Decimal("0.157895")  # 3,000 / 19,000 = 0.1578947…
    assert v["customers_churned_month"] == 1
    assert v["customer_churn_rate"] == Decimal("0.333333")  # 1 / 3
    # (7,000 + 2,500) / 19,000 = 0.5
    assert v["gross_mrr_churn_rate"] == Decimal("0.500000")
    # (7,000 + 2,500 − 3,000 − 4,500) / 19,000 = 2,000 / 19,000 = 0.1052631…
    assert v["net_mrr_churn_rate"] == Decimal("0.105263")
    # (5,000 + 3,000 + 4,500) / (7,000 + 2,500) = 12,500 / 9,500 = 1.3157894…
    assert v["quick_ratio"] == Decimal("1.315789")
    # November, December, January (the complete months): (1 + 0 + 1) / (2 + 3 + 3) = 2 / 8
    assert v["customer_churn_rate_3m"] == Decimal("0.250000")
    # ARPA ÷ 3-month churn rate: 5,500 ÷ (2/8) = 22,000
    assert v["ltv"] == 22_000


def test_net_mrr_churn_is_negative_when_expansion_outweighs_churn() -> None:
    # (1,000 + 0 − 3,000 − 0) / 10,000 = −0.2
    m = with_mrr(
        mrr_end=12_000,
        mrr_month_start=10_000,
        paying_end=2,
        paying_month_start=2,
        movements=MrrMovements(expansion=3_000, churn=1_000),
    )
    assert m.values["net_mrr_churn_rate"] == Decimal("-0.200000")
    assert m.values["gross_mrr_churn_rate"] == Decimal("0.100000")  # 1,000 / 10,000
    assert m.values["quick_ratio"] == Decimal("3.000000")  # 3,000 / 1,000
    assert m.values["mrr_growth_mom"] == Decimal("0.200000")  # 2,000 / 10,000


def test_mrr_growth_over_30_days_compares_the_end_of_d_with_30_days_before() -> None:
    # 30 days before the end of 15 February is the end of 16 January: 20,000 then, 20,600 now;
    # (20,600 − 20,000) / 20,000 = 0.03 whatever MRR was at the end of January (here 20,500,
    # which makes the month to date read 100 / 20,500 = 0.0048780…)
    m = with_mrr(mrr_end=20_600, mrr_rolling_month_start=20_000, mrr_month_start=20_500)
    assert m.values["mrr_30_days_before"] == 20_000
    assert m.values["mrr_growth_30d"] == Decimal("0.030000")
    assert m.values["mrr_growth_mom"] == Decimal("0.004878")
    # no MRR 30 days ago: null with a reason, not +∞
    new = with_mrr(mrr_end=5_000)
    assert new.values["mrr_growth_30d"] is None
    assert new.notes["mrr_growth_30d"] == "no MRR 30 days before the end of D"


@pytest.mark.parametrize(
    ("before", "now", "cmgr"),
    [
        # 5 % a month for six months is 1.05⁶ = 1.3400956…: (13,401 / 10,000)^(1/6) − 1
        # = 1.3401^(1/6) − 1 = 1.0500006… − 1, and one less, 13,400, is just under 5 %:
        # 1.34^(1/6) − 1 = 0.0499875…
        (10_000, 13_401, Decimal("0.050001")),
        (10_000, 13_400, Decimal("0.049988")),
        # the same MRR: 0; (64 × 1,000 / 1,000)^(1/6) − 1 = 2 − 1
        (10_000, 10_000, Decimal("0.000000")),
        (1_000, 64_000, Decimal("1.000000")),
        # every customer gone: 0^(1/6) − 1 = −1
        (10_000, 0, Decimal("-1.000000")),
    ],
)
def test_mrr_cmgr_6m_compounds_the_growth_since_180_days_before(
    before: int, now: int, cmgr: Decimal
) -> None:
    m = with_mrr(mrr_end=now, mrr_half_year_start=before)
    assert m.values["mrr_180_days_before"] == before
    assert m.values["mrr_cmgr_6m"] == cmgr


def test_nrr_and_grr_divide_by_the_mrr_twelve_months_earlier() -> None:
    # base 20,000; those customers pay 18,000 now, 13,000 when each is capped at its old MRR
    m = with_mrr(mrr_year_earlier=20_000, retained_mrr=18_000, retained_mrr_capped=13_000)
    assert m.values["nrr_12m"] == Decimal("0.900000")
    assert m.values["grr_12m"] == Decimal("0.650000")
    # above 100 %: 25,000 / 20,000
    up = with_mrr(mrr_year_earlier=20_000, retained_mrr=25_000, retained_mrr_capped=20_000)
    assert up.values["nrr_12m"] == Decimal("1.250000")
    assert up.values["grr_12m"] == Decimal("1.000000")


def test_ltv_is_arpa_over_the_three_month_customer_churn_rate() -> None:
    # ARPA 30,000 / 3 = 10,000; churn (1 + 0 + 1) / (10 + 10 + 10) = 2/30 = 1/15;
    # 10,000 × 15 = 150,000
    m = with_mrr(mrr_end=30_000, paying_end=3, starting_3m=(10, 10, 10), churned_3m=(1, 0, 1))
    assert m.values["customer_churn_rate_3m"] == Decimal("0.066667")  # 2/30 = 0.0666…
    assert m.values["ltv"] == 150_000


def test_ltv_is_null_without_churn_or_without_customers() -> None:
    no_churn = with_mrr(mrr_end=30_000, paying_end=3, starting_3m=(3, 3, 3))
    assert no_churn.values["ltv"] is None
    assert "unbounded" in no_churn.notes["ltv"]
    assert no_churn.values["customer_churn_rate_3m"] == Decimal("0.000000")  # 0 / 9
    gone = with_mrr(starting_3m=(1, 1, 1), churned_3m=(0, 0, 1))
    assert gone.values["ltv"] is None
    assert "no paying customers" in gone.notes["ltv"]
    assert gone.values["customer_churn_rate_3m"] == Decimal("0.333333")  # 1 / 3


def test_other_currencies_and_unpriced_items_are_noted_on_mrr() -> None:
    m = with_mrr(
        mrr_end=3_000,
        paying_end=1,
        mrr_by_currency={"usd": 3_000, "eur": 5_000},
        unpriced_subscriptions=2,
    )
    assert m.values["mrr_by_currency"] == {"eur": 5_000, "usd": 3_000}
    assert m.values["mrr"] == 3_000
    assert m.notes["mrr"].startswith("subscriptions billed in EUR are not in mrr")
    assert "2 subscription(s)" in m.notes["mrr"]


# --- revenue --------------------------------------------------------------------------------------


def test_net_volume_subtracts_refunds_and_disputes_and_adds_back_won_disputes() -> None:
    # 50,000 − 4,000 − 3,000 + 2,000 = 45,000
    m = metrics(
        months=months({THIS_MONTH: 50_000}, {THIS_MONTH: 10}),
        refunded_month=4_000,
        disputed_amount_month=3_000,
        disputes_won_month_amount=2_000,
    )
    assert m.values["net_volume_month"] == 45_000
    assert m.values["gross_volume_month"] == 50_000


def test_revenue_growth_compares_the_last_complete_month_with_the_one_before() -> None:
    # January (12,000) on December (10,000): (12,000 − 10,000) / 10,000 = 0.2;
    # (7,000 − 10,000) / 10,000 = −0.3
    up = months({BEFORE_LAST: 10_000, LAST_COMPLETE: 12_000})
    down = months({BEFORE_LAST: 10_000, LAST_COMPLETE: 7_000})
    assert metrics(months=up).values["revenue_growth_mom"] == Decimal("0.200000")
    assert metrics(months=down).values["revenue_growth_mom"] == Decimal("-0.300000")


def test_revenue_growth_never_reads_the_month_in_progress() -> None:
    # 15 days of February (3,000) against a whole January (12,000) would read −75 %: February is
    # not over, so growth stays January on December, 12,000 / 10,000 − 1 = 0.2
    partial = months({BEFORE_LAST: 10_000, LAST_COMPLETE: 12_000, THIS_MONTH: 3_000})
    assert metrics(months=partial).values["revenue_growth_mom"] == Decimal("0.200000")
    # a first month without a month before it: null, not −100 % or +∞
    first = metrics(months=months({LAST_COMPLETE: 12_000}))
    assert first.values["revenue_growth_mom"] is None
    assert "before the last complete month" in first.notes["revenue_growth_mom"]


@pytest.mark.parametrize(
    ("six_before", "last", "cmgr"),
    [
        # (20,000 / 10,000)^(1/6) − 1 = 2^(1/6) − 1 = 1.1224620483… − 1
        (10_000, 20_000, Decimal("0.122462")),
        # (64,000 / 1,000)^(1/6) = 64^(1/6) = 2 → 1
        (1_000, 64_000, Decimal("1.000000")),
        # (5,000 / 10,000)^(1/6) = 0.5^(1/6) = 0.8908987181… → −0.1091012818…
        (10_000, 5_000, Decimal("-0.109101")),
        # the same volume: 1^(1/6) − 1 = 0
        (7_000, 7_000, Decimal("0.000000")),
        # nothing in the last complete month: 0^(1/6) − 1 = −1
        (10_000, 0, Decimal("-1.000000")),
    ],
)
def test_cmgr_6m_is_the_sixth_root_of_growth_from_july_to_january(
    six_before: int, last: int, cmgr: Decimal
) -> None:
    # January 2026 (index 11) is the last complete month as of 15 February; July 2025 (index 5)
    # is six months before it. February's 15 days (index 12) are not read.
    m = metrics(months=months({SIX_BEFORE: six_before, LAST_COMPLETE: last, THIS_MONTH: 1}))
    assert m.values["cmgr_6m"] == cmgr


def test_cmgr_6m_is_null_without_volume_six_months_before() -> None:
    # volume seven and five months before January does not count: only July (index 5)
    m = metrics(months=months({4: 10_000, 6: 10_000, LAST_COMPLETE: 20_000}))
    assert m.values["cmgr_6m"] is None
    assert "six months before the last complete month" in m.notes["cmgr_6m"]


def test_revenue_volatility_is_the_population_cv_of_the_twelve_complete_months() -> None:
    # equal complete months: std 0 → 0, whatever the month in progress holds (here 10 of 1,000)
    flat = metrics(months=months({**dict.fromkeys(range(12), 1_000), THIS_MONTH: 10}))
    assert flat.values["revenue_volatility_cv_12m"] == Decimal("0.000000")
    # six months of 0 and six of 200: mean 100, every deviation ±100, variance 10,000,
    # std 100 → 100 / 100 = 1
    half = metrics(months=months(dict.fromkeys(range(6, 12), 200)))
    assert half.values["revenue_volatility_cv_12m"] == Decimal("1.000000")
    # one month of 1,200: mean 100, variance (11 × 100² + 1,100²) / 12 = 1,320,000 / 12 = 110,000,
    # std √110,000 = 331.66247…; CV = √11 = 3.3166247903…
    one = metrics(months=months({3: 1_200}))
    assert one.values["revenue_volatility_cv_12m"] == Decimal("3.316625")
    # 1, 2, …, 12 (× 100): mean 650, variance 100² × (12² − 1) / 12 = 119,166.67, std 345.20525…;
    # CV = 345.2052529… / 650 = 0.5310850…
    ramp = metrics(months=months({i: 100 * (i + 1) for i in range(12)}))
    assert ramp.values["revenue_volatility_cv_12m"] == Decimal("0.531085")
    # sales only in the month in progress: no complete month has volume, so no CV yet
    young = metrics(months=months({THIS_MONTH: 5_000}))
    assert young.values["revenue_volatility_cv_12m"] is None
    assert "12 complete months" in young.notes["revenue_volatility_cv_12m"]


# The year before the complete months is February 2024 … January 2025 (the 12 calendar months
# 24 … 13 before February 2026), oldest first: index 0 is February, 9 … 11 are November, December
# and January. A shop selling 100 a month with a holiday peak of 200, 300 and 400 sells 1,800 that
# year, a monthly mean of 150.
PEAKED_YEAR = (100,) * 9 + (200, 300, 400)
TWO_YEARS_OF_SALES = utc(2024, 1, 20)  # a sale before February 2024: 24 complete months


def seasonal(complete: list[int], year: tuple[int, ...] = PEAKED_YEAR, **fields: Any) -> MetricSet:
    fields.setdefault("first_charge", TWO_YEARS_OF_SALES)
    gross = dict(enumerate(complete))
    return metrics(months=months(gross), gross_year_earlier_by_month=year, **fields)


def test_a_seasonal_index_is_each_month_of_the_year_over_the_years_monthly_mean() -> None:
    # 100 / 150 = 2/3 for February … October; 200 / 150 = 4/3; 300 / 150 = 2; 400 / 150 = 8/3
    indices = seasonal_indices(PEAKED_YEAR)
    assert indices == (Fraction(2, 3),) * 9 + (Fraction(4, 3), Fraction(2), Fraction(8, 3))
    # they average 1: 9 × 2/3 + 4/3 + 2 + 8/3 = 6 + 6 = 12 over 12 months
    assert sum(indices) == 12
    # seasonally adjusted, a month is its volume divided by its calendar month's index:
    # 200 / (2/3) = 300; 800 / (8/3) = 300
    assert seasonally_adjusted([200, 800], [indices[0], indices[11]]) == (300, 300)


def test_a_pattern_that_repeats_exactly_is_no_volatility_once_the_season_is_taken_out() -> None:
    # The 12 complete months (February 2025 … January 2026) repeat the earlier year doubled:
    # 200 a month, then 400, 600 and 800. Raw: mean 3,600 / 12 = 300; squared deviations
    # 9 × 100² + 100² + 300² + 500² = 90,000 + 10,000 + 90,000 + 250,000 = 440,000; variance
    # 440,000 / 12 = 36,666.67; CV = √36,666.67 / 300 = √(11/27) = 0.6382847…
    m = seasonal([200] * 9 + [400, 600, 800])
    assert m.values["revenue_volatility_cv_12m"] == Decimal("0.638285")
    # adjusted: 200 / (2/3) = 400 / (4/3) = 600 / 2 = 800 / (8/3) = 300 every month: CV 0
    assert m.values["revenue_volatility_cv_12m_seasonally_adjusted"] == Decimal("0.000000")
    # the pattern accounts for all of it: 1 − 0 / (11/27) = 1
    assert m.values["seasonality_strength_24m"] == Decimal("1.000000")


def test_a_pattern_that_partly_repeats_explains_part_of_the_variation() -> None:
    # As above, but June 2025 (index 4) sells 300 instead of 200. Raw: 8 × 200 + 300 + 400 + 600
    # + 800 = 3,700, mean 308.33; relative variance (CV²) 515 / 1,369, CV = 0.6133408…
    m = seasonal([200] * 4 + [300] + [200] * 4 + [400, 600, 800])
    assert m.values["revenue_volatility_cv_12m"] == Decimal("0.613341")
    # adjusted: 300 every month but June, 300 / (2/3) = 450; mean 3,750 / 12 = 312.5; squared
    # deviations 11 × 12.5² + 137.5² = 1,718.75 + 18,906.25 = 20,625; variance 1,718.75;
    # CV² = 1,718.75 / 312.5² = 0.0176, CV = √0.0176 = 0.1326649…
    assert m.values["revenue_volatility_cv_12m_seasonally_adjusted"] == Decimal("0.132665")
    # strength 1 − 0.0176 / (515 / 1,369) = 1 − 15,059 / 321,875 = 0.9532147…
    assert m.values["seasonality_strength_24m"] == Decimal("0.953215")


def test_a_peak_that_does_not_come_back_is_volatility_the_adjustment_adds() -> None:
    # A flat year after a peaked one: 300 every month. Raw CV 0. Adjusted by last year's
    # pattern: 300 / (2/3) = 450 nine times, 300 / (4/3) = 225, 300 / 2 = 150, 300 / (8/3) =
    # 112.5; mean 4,537.5 / 12 = 378.125; CV² = 1,643 / 14,641, CV = √1,643 / 121 = 0.3349912…
    m = seasonal([300] * 12)
    assert m.values["revenue_volatility_cv_12m"] == Decimal("0.000000")
    assert m.values["revenue_volatility_cv_12m_seasonally_adjusted"] == Decimal("0.334991")
    # nothing varies in the 12 months: no variation for a pattern to explain
    assert m.values["seasonality_strength_24m"] is None
    assert "do not vary" in m.notes["seasonality_strength_24m"]
    # the strength is never below 0: the adjusted months vary more than the raw ones here
    assert seasonality_strength([300] * 11 + [301], [Fraction(450)] * 11 + [Fraction(1)]) == 0


@pytest.mark.parametrize(
    ("first_charge", "year", "reason"),
    [
        # the first sale on 1 February 2024: that month is not known to be a whole one
        (utc(2024, 2, 1), PEAKED_YEAR, "fewer than 24 complete months of sales"),
        (None, PEAKED_YEAR, "fewer than 24 complete months of sales"),
        (TWO_YEARS_OF_SALES, (0,) * 12, "no gross volume in the 12 months before the 12 complete"),
        # no sale in May and August 2024: their index would be 0, and nothing divides by 0
        (
            TWO_YEARS_OF_SALES,
            (100,) * 3 + (0,) + (100,) * 2 + (0,) + (100,) * 5,
            "no gross volume in 2024-05, 2024-08, a year before the 12 complete months",
        ),
    ],
)
def test_without_a_whole_year_of_sales_before_the_complete_months_there_is_no_seasonal_index(
    first_charge: datetime | None, year: tuple[int, ...], reason: str
) -> None:
    m = seasonal([200] * 9 + [400, 600, 800], year, first_charge=first_charge)
    for key in ("revenue_volatility_cv_12m_seasonally_adjusted", "seasonality_strength_24m"):
        assert m.values[key] is None
        assert reason in m.notes[key]
    # the raw CV is still known: the score reads it
    assert m.values["revenue_volatility_cv_12m"] == Decimal("0.638285")


def test_gross_volume_series_12_months_and_the_unconverted_note() -> None:
    totals = list(months({0: 500, 1: 1_000, 11: 2_000, 12: 3_000}))
    totals[12] = MonthTotals(3_000, 4, 1)  # 4 charges, 1 without a settled amount
    m = metrics(months=tuple(totals), gross_12m=6_000, unconverted_12m=1, gross_90d=5_000)
    # the 12 months ending at D are an aggregate of their own: not the sum of the series
    assert m.values["gross_volume_12m"] == 6_000
    assert m.values["gross_volume_90d"] == 5_000
    by_month = m.values["gross_volume_by_month_12m"]
    assert isinstance(by_month, dict)
    # the published series is March 2025 … February 2026: February 2025 (index 0) is not in it
    assert next(iter(by_month)) == "2025-03" and len(by_month) == 12
    assert (by_month["2025-03"], by_month["2026-01"], by_month["2026-02"]) == (1_000, 2_000, 3_000)
    assert m.values["gross_volume_month"] == 3_000
    assert m.values["charges_count_month"] == 4
    assert "1 charge(s)" in m.notes["gross_volume_12m"]


# --- risk -----------------------------------------------------------------------------------------


def test_dispute_ratios_use_this_month_last_month_and_90_days_of_charges() -> None:
    m = metrics(
        months=months(charges={LAST_COMPLETE: 400, THIS_MONTH: 250}),
        disputes_month=2,
        inquiries_month=3,
        disputes_90d=3,
        charges_90d=900,
    )
    assert m.values["disputes_count_month"] == 2
    assert m.values["inquiries_count_month"] == 3
    assert m.values["dispute_activity_ratio_month"] == Decimal("0.008000")  # 2 / 250
    assert m.values["dispute_activity_ratio_mastercard_month"] == Decimal("0.005000")  # 2 / 400
    assert m.values["dispute_activity_ratio_90d"] == Decimal("0.003333")  # 3 / 900


def test_the_30_day_dispute_ratio_counts_disputes_and_charges_of_the_same_30_days() -> None:
    # 2 disputes over 310 charges = 0.0064516… → 0.006452, just under Visa's 0.65 %
    m = metrics(disputes_30d=2, charges_30d=310, disputes_month=1, months=months(charges={12: 5}))
    assert (m.values["disputes_count_30d"], m.values["charges_count_30d"]) == (2, 310)
    assert m.values["dispute_activity_ratio_30d"] == Decimal("0.006452")
    # the month to date, one day old, would read 1 / 5 = 20 %: shown, never scored
    assert m.values["dispute_activity_ratio_month"] == Decimal("0.200000")


def test_payout_failure_rate_streak_and_last_failure() -> None:
    failure = datetime(2026, 2, 3, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    m = metrics(
        payouts_paid_90d=9, payouts_failed_90d=3, payout_paid_streak=4, last_payout_failure=failure
    )
    assert m.values["payout_failure_rate_90d"] == Decimal("0.250000")  # 3 / (9 + 3)
    assert m.values["payouts_failed_90d"] == 3
    assert m.values["payout_paid_streak"] == 4
    assert m.values["last_payout_failure_at"] == "2026-02-03T14:30:00Z"  # 09:30 at UTC−5


def test_refunded_or_disputed_amounts_without_a_settled_amount_are_noted() -> None:
    m = metrics(unconverted_refunds=1, unconverted_disputes=2)
    assert m.notes["refunded_amount_month"].startswith("1 refund(s) in another currency")
    assert m.notes["disputed_amount_month"].startswith("2 dispute(s) in another currency")
    assert "disputed_amount_month" not in metrics(unconverted_refunds=1).notes


# --- history --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_charge", "months_of_history"),
    [
        # as of 2026-02-15, a month is complete on the day before the first charge's day of month
        (utc(2026, 2, 1), 0),  # 15 days
        (utc(2026, 1, 16), 1),  # 16 January … 15 February: one month to the day
        (utc(2026, 1, 17), 0),  # one day short
        (utc(2026, 1, 31, 23, 59, 59), 0),  # 16 days, even though it spans two calendar months
        (utc(2025, 3, 16), 11),  # 16 March 2025 … 15 February 2026
        (utc(2025, 2, 16), 12),  # a year to the day
        (utc(2025, 2, 28, 23, 59, 59), 11),
        # 31 March 2024 … 30 January 2026 is 22 whole months; the 23rd ends on 28 February
        (utc(2024, 3, 31), 22),
        # 2026-01-17 00:30 at UTC+1 is 2026-01-16 23:30 UTC: the 16th, so one month already
        (datetime(2026, 1, 17, 0, 30, tzinfo=timezone(timedelta(hours=1))), 1),
    ],
)
def test_months_of_history_counts_whole_months_since_the_first_charge(
    first_charge: datetime, months_of_history: int
) -> None:
    m = metrics(first_charge=first_charge)
    assert m.values["months_of_history"] == months_of_history
    assert "months_of_history" not in m.notes


def test_data_through_is_an_iso_utc_instant() -> None:
    through = datetime(2026, 2, 16, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    m = metrics(data_through=through)
    assert m.values["data_through"] == "2026-02-15T23:02:03Z"
    assert "data_through" not in m.notes


def test_a_shop_selling_only_to_guests_has_no_repeat_buyer_figures_rather_than_zero() -> None:
    # 5,000 of volume from charges without a customer: nobody can be followed back, so both
    # repeat figures are unknown (half marks in the score), not 0 % (no marks)
    m = metrics(gross_12m=5_000, customers_12m=3, top1_12m=2_000, top5_12m=5_000)
    assert m.values["repeat_customers_12m"] == 0
    assert m.values["repeat_purchase_rate_12m"] is None
    assert m.values["repeat_customer_revenue_share_12m"] is None
    assert "no purchase by a known customer" in m.notes["repeat_customer_revenue_share_12m"]
    # with known buyers, none of whom came back: a real 0 %
    once = metrics(gross_12m=5_000, buyers_12m=2, customers_12m=3, top1_12m=2_000)
    assert once.values["repeat_purchase_rate_12m"] == Decimal("0.000000")
    assert once.values["repeat_customer_revenue_share_12m"] == Decimal("0.000000")
