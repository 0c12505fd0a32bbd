"""Lighter Capital, Founderpath, Capchase and Pipe: lenders against subscription revenue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vaultra.domain.lenders import Gap

from tests.domain.lenders.profiles import fit_of, gap_texts, strong, with_

SAAS_LENDERS = ("lighter_capital", "founderpath", "capchase", "pipe")


@pytest.mark.parametrize("key", SAAS_LENDERS)
def test_saas_lender_is_not_a_fit_without_subscription_revenue(key: str) -> None:
    metrics = with_(strong(), mrr=0, arr=0, mrr_previous_month_end=0)

    fit = fit_of(key, metrics)

    assert fit.status == "not_a_fit"
    assert fit.unmet[-1].metric == "mrr"
    assert fit.unmet[-1].text == (
        f"{fit.lender} lends against subscription revenue, and Vaultra sees no MRR on this account"
    )
    assert fit.offer is None


@pytest.mark.parametrize("key", SAAS_LENDERS)
def test_saas_lender_without_an_mrr_figure_is_not_a_fit_and_says_so(key: str) -> None:
    fit = fit_of(key, with_(strong(), mrr=None))

    assert fit.status == "not_a_fit"
    assert fit.unmet[-1].have is None
    assert fit.unmet[-1].text.endswith("Vaultra has no MRR figure for this account")


def test_lighter_is_eligible_at_exactly_200000_a_year_and_15000_average_mrr() -> None:
    # (16,000.00 + 14,000.00) ÷ 2 = 15,000.00 USD: exactly the minimum.
    metrics = with_(
        strong(), gross_volume_12m=20_000_000, mrr=1_600_000, mrr_previous_month_end=1_400_000
    )

    fit = fit_of("lighter_capital", metrics)

    assert fit.status == "eligible"


def test_lighter_one_cent_under_200000_a_year_is_not_yet() -> None:
    fit = fit_of("lighter_capital", with_(strong(), gross_volume_12m=19_999_999))

    assert fit.status == "not_yet"
    assert gap_texts(fit) == ["gross volume over 12 months 199,999.99 USD of 200,000.00 USD"]


def test_lighter_average_mrr_one_cent_short_is_not_yet() -> None:
    # (16,000.00 + 13,999.99) ÷ 2 = 14,999.995, shown rounded down: 14,999.99 USD.
    metrics = with_(strong(), mrr=1_600_000, mrr_previous_month_end=1_399_999)

    fit = fit_of("lighter_capital", metrics)

    assert fit.unmet == (
        Gap(
            "an average MRR of at least 15,000 USD over the last 3 months",
            "mrr",
            1_499_999,
            1_500_000,
            "average MRR (now and at the previous month-end) 14,999.99 USD of 15,000.00 USD",
        ),
    )


def test_lighter_without_last_months_mrr_says_the_data_is_not_there() -> None:
    fit = fit_of("lighter_capital", with_(strong(), mrr_previous_month_end=None))

    assert fit.status == "not_yet"
    assert gap_texts(fit) == ["MRR at the previous month-end is not known yet"]


def test_lighter_is_not_a_fit_outside_usd_and_gives_both_reasons_when_both_apply() -> None:
    fit = fit_of("lighter_capital", with_(strong(), mrr=0), "cad")

    assert fit.status == "not_a_fit"
    assert [gap.criterion for gap in fit.unmet] == ["settles in USD", "subscription revenue"]


def test_founderpath_is_eligible_with_any_subscription_revenue_in_any_currency() -> None:
    fit = fit_of("founderpath", with_(strong(), mrr=1, arr=12), "eur")

    assert fit.status == "eligible"
    assert any("B2B SaaS" in line for line in fit.to_confirm)


def test_capchase_is_eligible_at_exactly_85_percent_grr() -> None:
    fit = fit_of("capchase", with_(strong(), grr_12m=Decimal("0.85")), "gbp")

    assert fit.status == "eligible"


def test_capchase_grr_just_under_85_percent_is_not_yet_and_called_judgement() -> None:
    fit = fit_of("capchase", with_(strong(), grr_12m=Decimal("0.849999")))

    assert fit.status == "not_yet"
    assert fit.unmet == (
        Gap(
            "high retention: GRR of at least 85 % over 12 months (Vaultra's judgement)",
            "grr_12m",
            Decimal("0.849999"),
            Decimal("0.85"),
            "GRR over 12 months 84.9999 %, below 85.00 %",
        ),
    )


def test_capchase_without_a_year_of_subscriptions_says_grr_needs_12_months() -> None:
    fit = fit_of("capchase", with_(strong(), grr_12m=None))

    assert fit.status == "not_yet"
    assert gap_texts(fit) == ["GRR needs 12 months of subscription data"]


def test_capchase_leaves_ltv_cac_and_runway_to_confirm() -> None:
    fit = fit_of("capchase", strong())

    assert any("LTV/CAC" in line for line in fit.to_confirm)
    assert any("runway" in line for line in fit.to_confirm)


def test_pipe_is_eligible_at_exactly_100000_usd_arr() -> None:
    fit = fit_of("pipe", with_(strong(), arr=10_000_000))

    assert fit.status == "eligible"


def test_pipe_one_cent_under_100000_usd_arr_is_not_yet_and_says_who_reports_it() -> None:
    fit = fit_of("pipe", with_(strong(), arr=9_999_999))

    assert fit.status == "not_yet"
    assert fit.unmet[0].criterion == "at least 100,000 USD ARR (reported by third parties)"
    assert gap_texts(fit) == ["ARR 99,999.99 USD of 100,000.00 USD"]


def test_pipe_without_an_arr_figure_is_not_yet() -> None:
    fit = fit_of("pipe", with_(strong(), arr=None))

    assert fit.status == "not_yet"
    assert gap_texts(fit) == ["no ARR yet"]
