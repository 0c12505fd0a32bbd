"""Money thresholds are in US dollars: an account in another currency is compared with them at the
rate Stripe applied to its latest USD sale (`fx_rates_12m`), and without one not at all — never
one to one. The arithmetic is in the comments."""

from __future__ import annotations

from typing import Any

from vaultra.domain.scoring.score import QuickScore, score_metrics

from tests.domain.scoring.test_score import AT, PROFILE, points


def revenue(score: Any) -> Any:
    (component,) = [c for c in score.components if c.key == "revenue_scale"]
    return component


def test_a_eur_account_is_scored_on_its_revenue_in_dollars_at_stripes_rate() -> None:
    profile = {
        **PROFILE,
        "gross_volume_12m": 46_000_000,  # 460,000.00 EUR
        "arr": 41_400_000,  # 414,000.00 EUR
        "fx_rates_12m": {"usd": 920_000},  # 1 USD = 0.92 EUR
    }

    score = score_metrics(profile, "eur", AT)

    # 460,000 / 0.92 = 500,000 USD (ARR: 414,000 / 0.92 = 450,000): "500K a year or more", 11
    assert points(score)["revenue_scale"] == 11
    assert revenue(score).explanation == (
        "Annual revenue (12-month volume) 460,000.00 EUR (= 500,000 USD at "
        "1 USD = 0.92 EUR, the rate Stripe applied), 500K a year or more (11 of 12)."
    )
    criterion = revenue(score).to_json("eur")["thresholds"][0]
    assert criterion["applied"] == "≥ 500,000 USD"


def test_without_a_usd_sale_a_eur_account_has_no_rate_and_half_marks_not_parity() -> None:
    profile = {**PROFILE, "gross_volume_12m": 46_000_000, "arr": 41_400_000}

    score = score_metrics(profile, "eur", AT)

    # No comparison: half of 12 = 6 (at parity it would have been 460,000 "USD": 9).
    assert points(score)["revenue_scale"] == 6
    assert revenue(score).explanation.startswith(
        "Annual revenue: no data yet (thresholds are in USD and no USD sale of the 12 months "
        "settled in EUR: no rate Stripe applied to convert at"
    )


def test_a_pound_is_worth_its_rate_not_a_dollar() -> None:
    profile = {
        **PROFILE,
        "gross_volume_12m": 10_000_000,  # 100,000.00 GBP
        "arr": None,
        "fx_rates_12m": {"usd": 790_000},  # 1 USD = 0.79 GBP
    }

    score = score_metrics(profile, "gbp", AT)

    # 100,000 / 0.79 = 126,582.28 USD ≥ 120,000: "at Clearco's 10K a month", 7 (parity: 5)
    assert points(score)["revenue_scale"] == 7


def test_a_zero_decimal_currency_converts_by_its_own_minor_unit() -> None:
    profile = {
        **PROFILE,
        "gross_volume_12m": 75_000_000,  # 75,000,000 JPY (no decimals)
        "arr": None,
        "fx_rates_12m": {"usd": 150_000_000},  # 1 USD = 150 JPY
    }

    score = score_metrics(profile, "jpy", AT)

    # 75,000,000 / 150 = 500,000 USD: 11 (before, JPY had no comparison at all: 6)
    assert points(score)["revenue_scale"] == 11


def test_a_usd_account_reads_its_amounts_as_they_are() -> None:
    # A rate for another currency the account sells in changes nothing for USD thresholds.
    profile = {**PROFILE, "fx_rates_12m": {"eur": 1_085_000}}

    assert points(score_metrics(profile, "usd", AT))["revenue_scale"] == 9  # ARR 240,000
    assert "rate Stripe applied" not in revenue(score_metrics(profile, "usd", AT)).explanation


def test_the_quick_score_of_a_what_if_converts_the_same_way() -> None:
    profile = {**PROFILE, "gross_volume_12m": 46_000_000, "arr": None}
    with_rate = {**profile, "fx_rates_12m": {"usd": 920_000}}

    assert QuickScore(with_rate, "eur").points["annual_revenue"] == 11  # 500,000 USD
    assert QuickScore(profile, "eur").points["annual_revenue"] == 6  # no rate: half marks
    # A what-if of 10 % more revenue: 506,000 EUR / 0.92 = 550,000 USD, still 11.
    more = {**with_rate, "gross_volume_12m": 50_600_000}
    assert QuickScore(with_rate, "eur").rescored(more).points["annual_revenue"] == 11
