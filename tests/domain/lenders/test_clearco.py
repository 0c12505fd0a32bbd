"""Clearco: at least 10,000 USD revenue in each of the last 12 months, in a row up to now.

The series holds 11 complete months and the month in progress (2026-11). The month in progress
counts once it has reached 10,000 USD and is never held against the account before that.
"""

from __future__ import annotations

from vaultra.domain.lenders import Gap

from tests.domain.lenders.profiles import fit_of, gap_texts, series, strong, with_

CRITERION = "at least 10,000 USD revenue a month for 12 months"


def test_clearco_is_eligible_with_every_month_at_exactly_10000_usd() -> None:
    metrics = with_(strong(), gross_volume_by_month_12m=series(1_000_000))

    fit = fit_of("clearco", metrics)

    assert fit.status == "eligible"


def test_clearco_month_in_progress_under_10000_leaves_one_month_to_go() -> None:
    metrics = with_(strong(), gross_volume_by_month_12m=series(1_000_000, m2026_11=999_999))

    fit = fit_of("clearco", metrics)

    assert fit.status == "not_yet"
    assert fit.unmet == (
        Gap(
            CRITERION,
            "gross_volume_by_month_12m",
            11,
            12,
            "1 more month at 10,000.00 USD or more (11 in a row so far; the month in progress, "
            "2026-11, has 9,999.99 USD so far)",
        ),
    )


def test_clearco_a_complete_month_one_cent_short_breaks_the_run() -> None:
    # 2026-02 at 9,999.99: the run is 2026-03 … 2026-10 (8 months) plus 2026-11 (already 10K) = 9.
    metrics = with_(strong(), gross_volume_by_month_12m=series(1_000_000, m2026_02=999_999))

    fit = fit_of("clearco", metrics)

    assert gap_texts(fit) == [
        "3 more months at 10,000.00 USD or more (9 in a row so far; 2026-02 had 9,999.99 USD)"
    ]


def test_clearco_young_business_counts_only_months_with_revenue() -> None:
    # Trading since 2026-06: five months at 12,000 from 2026-06 to 2026-10, 2026-11 at 3,000.
    months = series(
        0,
        m2026_06=1_200_000,
        m2026_07=1_200_000,
        m2026_08=1_200_000,
        m2026_09=1_200_000,
        m2026_10=1_200_000,
        m2026_11=300_000,
    )

    fit = fit_of("clearco", with_(strong(), gross_volume_by_month_12m=months))

    assert gap_texts(fit) == [
        "7 more months at 10,000.00 USD or more (5 in a row so far; 2026-05 had 0.00 USD; "
        "the month in progress, 2026-11, has 3,000.00 USD so far)"
    ]


def test_clearco_without_a_monthly_series_says_the_data_is_not_there() -> None:
    fit = fit_of("clearco", with_(strong(), gross_volume_by_month_12m=None))

    assert fit.status == "not_yet"
    assert fit.unmet[0].have is None
    assert gap_texts(fit) == ["no monthly volume series yet"]


def test_clearco_is_not_a_fit_for_a_euro_account() -> None:
    fit = fit_of("clearco", strong(), "eur")

    assert fit.status == "not_a_fit"
    assert fit.unmet[0].criterion == "settles in USD"


def test_clearco_asks_to_confirm_us_incorporation() -> None:
    fit = fit_of("clearco", strong())

    assert any("incorporated in the US" in line for line in fit.to_confirm)
    assert fit.offer is None
    assert "does not publish a sizing rule" in fit.offer_note
