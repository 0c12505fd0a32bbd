"""Stripe Capital US, for platforms and UK: each published minimum at its boundary."""

from __future__ import annotations

from decimal import Decimal

from vaultra.domain.lenders import Gap

from tests.domain.lenders.profiles import fit_of, gap_texts, series, strong, with_


def test_stripe_us_is_eligible_at_exactly_nine_months_and_5000_usd_a_year() -> None:
    metrics = with_(strong(), months_of_history=9, gross_volume_12m=500_000)

    fit = fit_of("stripe_capital_us", metrics)

    assert fit.status == "eligible"
    assert fit.unmet == ()


def test_stripe_us_one_month_short_is_not_yet_with_the_months_missing() -> None:
    metrics = with_(strong(), months_of_history=8)

    fit = fit_of("stripe_capital_us", metrics)

    assert fit.status == "not_yet"
    assert fit.unmet == (
        Gap(
            "at least 9 months processing on Stripe",
            "months_of_history",
            8,
            9,
            "1 more month of history",
        ),
    )


def test_stripe_us_six_months_in_needs_three_more_months() -> None:
    fit = fit_of("stripe_capital_us", with_(strong(), months_of_history=6))

    assert gap_texts(fit) == ["3 more months of history"]


def test_stripe_us_one_cent_under_5000_usd_a_year_is_not_yet() -> None:
    metrics = with_(strong(), gross_volume_12m=499_999)

    fit = fit_of("stripe_capital_us", metrics)

    assert fit.status == "not_yet"
    assert fit.unmet[0].metric == "gross_volume_12m"
    assert (fit.unmet[0].have, fit.unmet[0].need) == (499_999, 500_000)
    assert gap_texts(fit) == ["gross volume over 12 months 4,999.99 USD of 5,000.00 USD"]


def test_stripe_us_lists_every_unmet_criterion() -> None:
    metrics = with_(strong(), months_of_history=2, gross_volume_12m=100_000)

    fit = fit_of("stripe_capital_us", metrics)

    assert gap_texts(fit) == [
        "7 more months of history",
        "gross volume over 12 months 1,000.00 USD of 5,000.00 USD",
    ]


def test_stripe_us_is_not_a_fit_for_an_account_settling_in_gbp() -> None:
    fit = fit_of("stripe_capital_us", strong(), "gbp")

    assert fit.status == "not_a_fit"
    assert fit.unmet == (
        Gap(
            "settles in USD",
            None,
            "GBP",
            "USD",
            "Stripe Capital (US) is for US businesses and its thresholds are in USD; this account "
            "settles in GBP, so it is outside that market",
        ),
    )
    assert fit.offer is None
    assert fit.to_confirm == ()


def test_stripe_us_favoured_signals_are_reported_but_never_decide_the_status() -> None:
    # Two complete months without volume and a 3 % dispute rate: Stripe publishes no line for
    # either, so the product stays eligible and the notes say where the account stands.
    metrics = with_(
        strong(),
        gross_volume_by_month_12m=series(2_500_000, m2026_03=0, m2026_05=0),
        dispute_activity_ratio_90d=Decimal("0.03"),
    )

    fit = fit_of("stripe_capital_us", metrics)

    assert fit.status == "eligible"
    assert (
        "Stripe favours a steady processing record without low or zero months and publishes no "
        "threshold: Vaultra sees 2 months without volume in the last 11 complete months: "
        "2026-03, 2026-05." in fit.to_confirm
    )
    assert (
        "Stripe favours a low dispute rate and publishes no threshold: disputes were 3.00 % of "
        "charges over the last 90 days (the card networks' count method)." in fit.to_confirm
    )


def test_steady_volume_note_looks_only_at_months_since_the_first_charge() -> None:
    # 4 months of history: the first charge was in 2026-08, so 2026-08…2026-10 are the complete
    # months that count; the empty months before are not "zero months".
    metrics = with_(
        strong(),
        months_of_history=4,
        gross_volume_by_month_12m=series(0, m2026_08=90_000, m2026_10=120_000, m2026_11=5_000),
    )

    notes = fit_of("stripe_capital_us", metrics).to_confirm

    assert any(
        note.endswith("Vaultra sees 1 month without volume in the last 3 complete months: 2026-09.")
        for note in notes
    )


def test_platforms_is_eligible_at_exactly_three_months_and_1000_a_month() -> None:
    # 90-day volume 3,000.00 USD ÷ 3 = 1,000.00 USD a month: exactly the minimum.
    metrics = with_(
        strong(), months_of_history=3, gross_volume_12m=500_000, gross_volume_90d=300_000
    )

    fit = fit_of("stripe_capital_platforms", metrics)

    assert fit.status == "eligible"


def test_platforms_one_cent_under_1000_a_month_on_average_is_not_yet() -> None:
    # 2,999.99 USD ÷ 3 = 999.996…, shown rounded down: 999.99 USD.
    metrics = with_(strong(), gross_volume_90d=299_999)

    fit = fit_of("stripe_capital_platforms", metrics)

    assert fit.status == "not_yet"
    assert fit.unmet[0].have == 99_999
    assert gap_texts(fit) == ["average monthly volume over 3 months 999.99 USD of 1,000.00 USD"]


def test_platforms_two_months_in_needs_one_more_month() -> None:
    fit = fit_of("stripe_capital_platforms", with_(strong(), months_of_history=2))

    assert gap_texts(fit) == ["1 more month of history"]


def test_platforms_asks_to_confirm_the_platform_runs_capital() -> None:
    fit = fit_of("stripe_capital_platforms", strong())

    assert any("Capital for platforms programme" in line for line in fit.to_confirm)


def test_uk_is_eligible_at_exactly_six_months_5000_a_year_and_1000_a_month() -> None:
    metrics = with_(
        strong(), months_of_history=6, gross_volume_12m=500_000, gross_volume_90d=300_000
    )

    fit = fit_of("stripe_capital_uk", metrics, "gbp")

    assert fit.status == "eligible"


def test_uk_below_each_minimum_lists_each_gap_in_pounds() -> None:
    # 90 days 2,400.00 GBP ÷ 3 = 800.00 GBP a month.
    metrics = with_(
        strong(), months_of_history=5, gross_volume_12m=499_999, gross_volume_90d=240_000
    )

    fit = fit_of("stripe_capital_uk", metrics, "gbp")

    assert fit.status == "not_yet"
    assert gap_texts(fit) == [
        "1 more month of history",
        "gross volume over 12 months 4,999.99 GBP of 5,000.00 GBP",
        "average monthly volume over 3 months 800.00 GBP of 1,000.00 GBP",
    ]


def test_uk_is_not_a_fit_for_an_account_settling_in_usd() -> None:
    fit = fit_of("stripe_capital_uk", strong(), "usd")

    assert fit.status == "not_a_fit"
    assert fit.unmet[0].text == (
        "Stripe Capital (UK) is for UK businesses and its thresholds are in GBP; this account "
        "settles in USD, so it is outside that market"
    )


def test_uk_asks_to_confirm_the_90_day_wait_after_a_decline() -> None:
    fit = fit_of("stripe_capital_uk", strong(), "gbp")

    assert any("90 days" in line for line in fit.to_confirm)
