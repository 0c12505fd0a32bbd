"""A US bank term loan or SBA 7(a): SBA's published facts plus practitioner norms."""

from __future__ import annotations

from tests.domain.lenders.profiles import fit_of, gap_texts, strong, with_


def test_bank_is_eligible_at_exactly_24_months_and_100000_usd_a_year() -> None:
    metrics = with_(strong(), months_of_history=24, gross_volume_12m=10_000_000)

    fit = fit_of("bank_sba_7a", metrics)

    assert fit.status == "eligible"


def test_bank_below_each_practitioner_norm_lists_both_and_says_they_are_norms() -> None:
    metrics = with_(strong(), months_of_history=23, gross_volume_12m=9_999_999)

    fit = fit_of("bank_sba_7a", metrics)

    assert fit.status == "not_yet"
    assert [gap.criterion for gap in fit.unmet] == [
        "about 2 years in business, counted as months on Stripe (practitioner norm)",
        "at least 100,000 USD revenue a year (practitioner norm)",
    ]
    assert gap_texts(fit) == [
        "1 more month of history",
        "gross volume over 12 months 99,999.99 USD of 100,000.00 USD",
    ]


def test_bank_leaves_sba_eligibility_and_cash_flow_to_confirm() -> None:
    fit = fit_of("bank_sba_7a", strong())

    lines = " ".join(fit.to_confirm)
    assert "for-profit business located in the US" in lines
    assert "size standard" in lines
    assert "debt service coverage" in lines


def test_bank_is_not_a_fit_for_a_non_usd_account() -> None:
    fit = fit_of("bank_sba_7a", strong(), "gbp")

    assert fit.status == "not_a_fit"
