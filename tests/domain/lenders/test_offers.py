"""Offer estimates: only from a published sizing rule, integer minor units, rounded down."""

from __future__ import annotations

from vaultra.domain.lenders import OfferEstimate

from tests.domain.lenders.profiles import fit_of, strong, with_

DISCLAIMER = "An estimate from the lender's published sizing rule, not an offer."


def test_lighter_estimate_is_50000_to_33_percent_of_arr() -> None:
    # ARR 600,000.00 USD × 33 % = 198,000.00 USD; the low end is Lighter's 50,000.00 minimum.
    fit = fit_of("lighter_capital", with_(strong(), arr=60_000_000))

    assert fit.offer == OfferEstimate(
        5_000_000,
        19_800_000,
        "usd",
        "up to 33 % of annualised run rate (ARR 600,000.00 USD), within 50,000–3,000,000 USD",
    )
    assert fit.offer_note == "An estimate from the published rule, not an offer."


def test_lighter_estimate_rounds_down_to_the_cent() -> None:
    # ARR 448,283.76 USD × 33 % = 147,933.6408 USD → 147,933.64 USD (14,793,364 cents).
    fit = fit_of("lighter_capital", with_(strong(), arr=44_828_376))

    assert fit.offer is not None
    assert fit.offer.high == 14_793_364


def test_lighter_estimate_is_capped_at_3_million_usd() -> None:
    # ARR 10,000,000.00 USD × 33 % = 3,300,000.00 USD, capped at 3,000,000.00 USD.
    fit = fit_of("lighter_capital", with_(strong(), arr=1_000_000_000))

    assert fit.offer is not None
    assert fit.offer.high == 300_000_000


def test_lighter_gives_no_estimate_when_the_rule_falls_under_its_minimum() -> None:
    # ARR 120,000.00 USD × 33 % = 39,600.00 USD, under the 50,000.00 USD Lighter starts at.
    fit = fit_of("lighter_capital", with_(strong(), arr=12_000_000))

    assert fit.offer is None
    assert fit.offer_note == (
        "No estimate: 33 % of ARR is 39,600.00 USD, below the smallest amount the lender funds, "
        "50,000.00 USD."
    )


def test_founderpath_estimate_is_up_to_half_of_arr_in_the_accounts_currency() -> None:
    # ARR 600,000.00 EUR × 50 % = 300,000.00 EUR; no floor is published, so the low end is 0.
    fit = fit_of("founderpath", with_(strong(), arr=60_000_000), "eur")

    assert fit.offer == OfferEstimate(
        0,
        30_000_000,
        "eur",
        "up to about 50 % of ARR (ARR 600,000.00 EUR); no floor is published, so the low end is 0",
    )


def test_founderpath_estimate_in_a_zero_decimal_currency() -> None:
    # ARR 1,000,001 JPY × 50 % = 500,000.5 JPY → 500,000 JPY (the yen has no minor unit).
    fit = fit_of("founderpath", with_(strong(), arr=1_000_001), "jpy")

    assert fit.offer is not None
    assert (fit.offer.high, fit.offer.currency) == (500_000, "jpy")


def test_capchase_estimate_is_30_to_60_percent_of_arr_each_rounded_down() -> None:
    # ARR 1,000.01 USD: × 30 % = 300.003 → 300.00 USD; × 60 % = 600.006 → 600.00 USD.
    fit = fit_of("capchase", with_(strong(), arr=100_001))

    assert fit.offer is not None
    assert (fit.offer.low, fit.offer.high) == (30_000, 60_000)
    assert fit.offer.basis == "30–60 % of ARR (ARR 1,000.01 USD)"


def test_pipe_estimate_is_up_to_one_year_of_arr() -> None:
    # ARR 240,000.00 USD × 100 % = 240,000.00 USD.
    fit = fit_of("pipe", strong())

    assert fit.offer is not None
    assert (fit.offer.low, fit.offer.high) == (0, 24_000_000)
    assert fit.offer.basis.startswith("historically up to a year of contract value")


def test_platforms_estimate_states_the_product_maxima_only() -> None:
    fit = fit_of("stripe_capital_platforms", strong())

    assert fit.offer is not None
    assert (fit.offer.low, fit.offer.high, fit.offer.currency) == (0, 25_000_000, "usd")
    assert fit.offer.basis.startswith("product maxima only")


def test_sba_estimate_states_the_5_million_usd_programme_maximum() -> None:
    fit = fit_of("bank_sba_7a", strong())

    assert fit.offer is not None
    assert fit.offer.high == 500_000_000
    assert "SBA 7(a) maximum only" in fit.offer.basis


def test_no_estimate_without_arr() -> None:
    for arr in (None, 0):
        fit = fit_of("capchase", with_(strong(), arr=arr))

        assert fit.offer is None
        assert fit.offer_note == (
            "No estimate: the rule is a share of ARR and Vaultra sees no ARR yet."
        )


def test_products_without_a_published_rule_give_no_estimate_and_say_why() -> None:
    for key in ("stripe_capital_us", "clearco"):
        fit = fit_of(key, strong())

        assert fit.offer is None
        assert "does not publish a sizing rule" in fit.offer_note
    uk = fit_of("stripe_capital_uk", strong(), "gbp")
    assert uk.offer is None
    assert "do not publish a sizing rule" in uk.offer_note


def test_a_not_yet_product_keeps_its_estimate_with_a_note_saying_so() -> None:
    fit = fit_of("capchase", with_(strong(), grr_12m=None))

    assert fit.status == "not_yet"
    assert fit.offer is not None
    assert fit.offer_note == (
        "An estimate from the published rule for when the unmet criteria are met, not an offer."
    )


def test_every_estimate_carries_the_disclaimer() -> None:
    fit = fit_of("lighter_capital", strong())

    assert fit.offer is not None
    assert fit.offer.disclaimer == DISCLAIMER
    assert fit.to_json()["offer"]["disclaimer"] == DISCLAIMER
