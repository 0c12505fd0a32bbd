"""What-if changes: how a person writes them, how they apply, and what they refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vaultra.domain.scoring.whatif import Change, WhatIfError, apply_changes, parse_change

D = Decimal

METRICS = {
    "mrr": 1_240_000,  # 12,400.00 USD
    "arr": 14_880_000,
    "paying_customers": 40,
    "arpa": 31_000,
    "dispute_activity_ratio_month": D("0.012"),
    "dispute_activity_ratio_mastercard_month": D("0.011"),
    "dispute_activity_ratio_30d": D("0.010"),
    "dispute_activity_ratio_90d": D("0.009"),
    "months_of_history": 7,
    "top_customer_share_12m": D("0.30"),
    "top5_customer_share_12m": D("0.40"),
    "refund_rate_90d": D("0.05"),
}


@pytest.mark.parametrize(
    ("text", "change"),
    [
        (
            "dispute_activity_ratio_month=0.3%",
            Change("dispute_activity_ratio_month", "set", D("0.003"), ""),
        ),
        (
            "dispute_activity_ratio_month=0.003",
            Change("dispute_activity_ratio_month", "set", D("0.003"), ""),
        ),
        ("refund_rate_90d=-2%", Change("refund_rate_90d", "add", D("-0.02"), "")),
        ("mrr=+10%", Change("mrr", "scale", D("1.10"), "")),
        ("mrr=15000", Change("mrr", "set", D(1_500_000), "")),
        ("mrr=+2500.50", Change("mrr", "add", D(250_050), "")),
        ("months_of_history=+3", Change("months_of_history", "add", D(3), "")),
        ("top_customer_share_12m = 25%", Change("top_customer_share_12m", "set", D("0.25"), "")),
    ],
)
def test_a_change_is_read_as_a_person_writes_it(text: str, change: Change) -> None:
    parsed = parse_change(text, "usd")

    assert (parsed.metric, parsed.op, parsed.amount) == (change.metric, change.op, change.amount)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("mrr", "expected METRIC=VALUE"),
        ("revenue=100", "'revenue' is not a metric"),
        ("data_through=2026-01-01", "data_through is a timestamp and cannot be simulated"),
        ("mrr=lots", "'lots' is not a number"),
        ("mrr=10%", "needs a sign"),
        ("months_of_history=+1.5", "months_of_history is a whole number"),
    ],
)
def test_a_change_that_cannot_be_simulated_is_refused_naming_what_is_wrong(
    text: str, complaint: str
) -> None:
    with pytest.raises(WhatIfError, match=complaint):
        parse_change(text, "usd")


def test_mrr_up_ten_percent_moves_arr_and_arpa_with_it() -> None:
    changed = apply_changes(METRICS, [parse_change("mrr=+10%", "usd")])

    # 1,240,000 × 1.10 = 1,364,000 cents; ARR = 12 × that = 16,368,000; ARPA = 1,364,000 / 40 = 34,100
    assert (changed["mrr"], changed["arr"], changed["arpa"]) == (1_364_000, 16_368_000, 34_100)
    assert METRICS["mrr"] == 1_240_000  # the input is never modified


def test_dispute_activity_is_one_level_across_its_four_ratios() -> None:
    # set through the month's ratio, the one a person reads first: the 30 and 90 days the score
    # reads follow it
    changed = apply_changes(METRICS, [parse_change("dispute_activity_ratio_month=0.3%", "usd")])
    also = apply_changes(METRICS, [parse_change("dispute_activity_ratio_30d=0.3%", "usd")])

    assert {changed[k] for k in METRICS if k.startswith("dispute_activity")} == {D("0.003")}
    assert {also[k] for k in METRICS if k.startswith("dispute_activity")} == {D("0.003")}


def test_history_moves_by_whole_months_and_the_top_five_never_trail_the_top_customer() -> None:
    changed = apply_changes(
        METRICS,
        [
            parse_change("months_of_history=+3", "usd"),
            parse_change("top_customer_share_12m=45%", "usd"),
        ],
    )

    assert changed["months_of_history"] == 10
    assert (changed["top_customer_share_12m"], changed["top5_customer_share_12m"]) == (
        D("0.45"),
        D("0.45"),
    )


def test_a_change_below_zero_or_to_a_metric_without_a_value_is_refused() -> None:
    with pytest.raises(WhatIfError, match="refund_rate_90d cannot be negative"):
        apply_changes(METRICS, [parse_change("refund_rate_90d=-6%", "usd")])
    with pytest.raises(WhatIfError, match="nrr_12m has no value yet to change; set it instead"):
        apply_changes(METRICS, [parse_change("nrr_12m=+5%", "usd")])
