"""The assessment as a whole: the data, the order, unknown values and the JSON shape."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from vaultra.domain.lenders import CRITERIA_VERSION, PRODUCTS, LenderProduct, assess_lenders

from tests.domain.lenders.profiles import fit_of, series, strong, with_

KEYS = [
    "stripe_capital_us",
    "stripe_capital_platforms",
    "stripe_capital_uk",
    "clearco",
    "lighter_capital",
    "founderpath",
    "capchase",
    "pipe",
    "bank_sba_7a",
]


def test_the_criteria_carry_their_version() -> None:
    assert CRITERIA_VERSION == "lenders-2026-11"


def test_every_product_is_assessed_once_with_a_unique_key() -> None:
    assert [p.key for p in PRODUCTS] == KEYS
    assert sorted(f.key for f in assess_lenders(strong(), "usd")) == sorted(KEYS)


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda p: p.key)
def test_every_product_names_its_sources_and_the_day_they_were_read(
    product: LenderProduct,
) -> None:
    assert product.sources
    assert all("http" in source for source in product.sources)
    assert product.read_on == date(2026, 11, 26)
    assert product.sizing is not None or product.no_sizing_note


def test_the_strong_profile_is_eligible_for_every_product_in_its_currency() -> None:
    fits = {f.key: f.status for f in assess_lenders(strong(), "usd")}

    assert fits == dict.fromkeys(KEYS, "eligible") | {"stripe_capital_uk": "not_a_fit"}


def test_an_upper_case_currency_reads_the_same_as_lower_case() -> None:
    assert assess_lenders(strong(), "USD") == assess_lenders(strong(), "usd")


def test_order_is_eligible_then_not_yet_by_fewest_unmet_then_not_a_fit() -> None:
    # A US shop 8 months old without subscriptions: 8 months at 11,250.00 USD (90,000.00 a year).
    # Stripe US misses 9 months (1 unmet), Clearco misses 12 months (1), the bank misses 2 years
    # and 100,000 a year (2); the subscription lenders and Stripe UK are not a fit.
    metrics = with_(
        strong(),
        mrr=0,
        arr=0,
        mrr_previous_month_end=0,
        months_of_history=8,
        gross_volume_12m=9_000_000,
        gross_volume_90d=3_375_000,
        gross_volume_by_month_12m=series(
            0,
            m2026_04=1_125_000,
            m2026_05=1_125_000,
            m2026_06=1_125_000,
            m2026_07=1_125_000,
            m2026_08=1_125_000,
            m2026_09=1_125_000,
            m2026_10=1_125_000,
            m2026_11=1_125_000,
        ),
        grr_12m=None,
        nrr_12m=None,
    )

    fits = assess_lenders(metrics, "usd")

    assert [(f.key, f.status, len(f.unmet)) for f in fits] == [
        ("stripe_capital_platforms", "eligible", 0),
        ("stripe_capital_us", "not_yet", 1),
        ("clearco", "not_yet", 1),
        ("bank_sba_7a", "not_yet", 2),
        ("stripe_capital_uk", "not_a_fit", 1),
        ("lighter_capital", "not_a_fit", 1),
        ("founderpath", "not_a_fit", 1),
        ("capchase", "not_a_fit", 1),
        ("pipe", "not_a_fit", 1),
    ]


def test_no_data_at_all_is_never_eligible_and_never_read_as_zero() -> None:
    metrics = dict.fromkeys(strong(), None)

    fits = {f.key: f for f in assess_lenders(metrics, "usd")}

    assert all(f.status != "eligible" for f in fits.values())
    assert [g.text for g in fits["stripe_capital_us"].unmet] == [
        "months of history not known yet",
        "no gross volume over 12 months yet",
    ]
    assert all(g.have is None for g in fits["stripe_capital_platforms"].unmet)


def test_an_empty_metric_set_is_assessed_like_unknown_values() -> None:
    assert [f.status for f in assess_lenders({}, "usd")] == [
        f.status for f in assess_lenders(dict.fromkeys(strong(), None), "usd")
    ]


def test_an_account_without_a_currency_yet_is_not_yet_rather_than_not_a_fit() -> None:
    fit = fit_of("stripe_capital_us", strong(), None)

    assert fit.status == "not_yet"
    assert fit.unmet[0].text == "the account's currency is not known yet"


def test_to_json_has_the_published_shape_and_serialises() -> None:
    fit = fit_of("capchase", with_(strong(), grr_12m=Decimal("0.8")))

    payload = fit.to_json()

    assert list(payload) == [
        "key",
        "lender",
        "product",
        "status",
        "unmet",
        "to_confirm",
        "offer",
        "offer_note",
        "sources",
        "read_on",
    ]
    assert payload["unmet"] == [
        {
            "criterion": "high retention: GRR of at least 85 % over 12 months (Vaultra's judgement)",
            "metric": "grr_12m",
            "have": 0.8,
            "need": 0.85,
            "gap": "GRR over 12 months 80.00 %, below 85.00 %",
        }
    ]
    assert list(payload["offer"]) == ["low", "high", "currency", "basis", "disclaimer"]
    assert payload["read_on"] == "2026-11-26"
    assert json.loads(json.dumps(payload)) == payload


def test_to_json_of_a_product_without_an_estimate_has_a_null_offer() -> None:
    payload = fit_of("stripe_capital_us", strong()).to_json()

    assert payload["offer"] is None
    assert payload["unmet"] == []
    assert isinstance(payload["to_confirm"], list)


def test_lenders_doc_names_the_version_and_every_product() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "LENDERS.md").read_text()

    assert f"`{CRITERIA_VERSION}`" in doc
    assert all(f"`{key}`" in doc for key in KEYS)


def test_without_a_currency_no_estimate_is_made() -> None:
    for key in ("stripe_capital_platforms", "capchase"):
        fit = fit_of(key, strong(), None)

        assert fit.offer is None
        assert fit.offer_note == "No estimate: the account's currency is not known yet."
