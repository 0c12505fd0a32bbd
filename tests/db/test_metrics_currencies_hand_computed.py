"""Currencies, computed by the real engine on hand-written ledgers (account currency USD, as of
D = 2026-02-15; the reference implementation computes the same values and notes).

A subscription billed in another currency counts in `mrr` converted at the rate Stripe applied to
the latest sale in that currency of the 12 months that settled in USD (its balance transaction's
amount for the charge's), one rate for every instant (constant currency), each state's MRR rounded
half up; without such a sale it is left out with a note. `currency_coverage_12m` counts charges,
never adds amounts across currencies. The arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from vaultra.domain.metrics.formulas import MetricSet
from vaultra.domain.metrics.records import ChargeRecord, Ledger, StateRecord
from vaultra.domain.mrr import Item

from tests.db.test_metrics_hand_computed import at, charge, compute, monthly, state
from tests.db.test_metrics_mrr_hand_computed import assert_reconciles

SINCE = at(2025, 12, 1)


def sale(
    charge_id: str, created: datetime, amount: int, currency: str, settled: int | None = None
) -> ChargeRecord:
    """A sale in `currency`; `settled`: its balance transaction's amount in USD (None: not yet)."""
    return charge(charge_id, created, amount, currency=currency, settled_usd=settled)


def metrics(
    engine: Engine, *, charges: tuple[ChargeRecord, ...], states: tuple[StateRecord, ...]
) -> MetricSet:
    return compute(engine, Ledger(charges=charges, states=states))


def test_a_eur_subscription_counts_at_the_rate_of_the_latest_eur_sale_settled_in_usd(
    engine: Engine,
) -> None:
    m = metrics(
        engine,
        charges=(
            sale("ch_eur_1", at(2026, 1, 5), 1_000, "eur", settled=1_081),  # 1.081
            sale("ch_eur_2", at(2026, 2, 3), 2_000, "eur", settled=2_170),  # 1.085: the latest
            sale("ch_eur_3", at(2026, 2, 9), 500, "eur"),  # later, but not settled yet
            sale("ch_usd", at(2026, 2, 10), 3_000, "usd"),
        ),
        states=(
            state("sub_usd", "cus_a", SINCE, monthly(3_000), currency="usd"),
            state("sub_eur", "cus_b", SINCE, monthly(4_999), currency="eur"),
        ),
    )
    v = m.values
    # €49.99 × 2,170 / 2,000 = 5,423.915 cents → 5,424; 3,000 + 5,424 = 8,424
    assert v["mrr"] == 8_424
    assert v["paying_customers"] == 2
    assert v["arpa"] == 4_212  # 8,424 / 2
    assert v["mrr_by_currency"] == {"eur": 4_999, "usd": 3_000}  # native, as billed
    assert m.notes["mrr"] == (
        "subscriptions billed in EUR are converted at the rate Stripe applied on 2026-02-03 "
        "(1 EUR = 1.085 USD)"
    )
    # The same at the end of January: one rate for every instant, so nothing moved.
    assert v["mrr_previous_month_end"] == 8_424
    assert (v["mrr_new"], v["mrr_expansion"], v["mrr_contraction"]) == (0, 0, 0)
    # 4 charges in the 12 months, 1 without a settled amount: 3 / 4 counted in USD.
    assert v["currency_coverage_12m"] == Decimal("0.750000")


def test_a_zero_decimal_currency_converts_by_its_own_minor_unit(engine: Engine) -> None:
    m = metrics(
        engine,
        # ¥10,000 (10,000 minor units: the yen has no decimals) settled at $67.12 (6,712 cents)
        charges=(sale("ch_jpy", at(2026, 1, 20), 10_000, "jpy", settled=6_712),),
        states=(state("sub_jpy", "cus_j", SINCE, monthly(5_000), currency="jpy"),),
    )
    v = m.values
    # ¥5,000 a month × 6,712 / 10,000 = 3,356 cents
    assert v["mrr"] == 3_356
    assert v["mrr_by_currency"] == {"jpy": 5_000}
    # 1 JPY = 6,712 cents / 10,000 yen / 100 cents = 0.006712 USD
    assert m.notes["mrr"].endswith("on 2026-01-20 (1 JPY = 0.006712 USD)")
    assert v["currency_coverage_12m"] == Decimal("1.000000")  # settled: counted in USD


def test_a_currency_without_a_settled_sale_is_left_out_of_mrr_with_a_note(engine: Engine) -> None:
    m = metrics(
        engine,
        charges=(
            sale("ch_gbp", at(2026, 2, 1), 2_000, "gbp"),  # no balance transaction yet
            # settled, but before the 12 months ending at D (16 Feb 2025 – 15 Feb 2026)
            sale("ch_gbp_old", at(2025, 1, 20), 2_000, "gbp", settled=2_540),
        ),
        states=(
            state("sub_usd", "cus_a", SINCE, monthly(3_000), currency="usd"),
            state("sub_gbp", "cus_g", SINCE, monthly(2_500), currency="gbp"),
        ),
    )
    v = m.values
    assert v["mrr"] == 3_000  # the GBP subscription has no rate: not in mrr
    assert v["paying_customers"] == 1
    assert v["mrr_by_currency"] == {"gbp": 2_500, "usd": 3_000}
    assert m.notes["mrr"] == (
        "subscriptions billed in GBP are not in mrr: no sale in that currency settled in the "
        "account's in the 12 months, so no rate Stripe applied; see mrr_by_currency"
    )
    # 1 charge in the 12 months, unsettled: none of it counted in USD.
    assert v["currency_coverage_12m"] == Decimal("0.000000")


def test_a_foreign_upgrade_is_expansion_at_one_rate_without_exchange_noise(engine: Engine) -> None:
    m = metrics(
        engine,
        charges=(sale("ch_eur", at(2026, 2, 2), 1_000, "eur", settled=1_100),),  # 1.1
        states=(
            state("sub_eur", "cus_b", SINCE, monthly(2_000), currency="eur"),
            state("sub_eur", "cus_b", at(2026, 2, 10), monthly(3_001), currency="eur"),
        ),
    )
    v = m.values
    # Before: €20.00 × 1.1 = 2,200. After: €30.01 × 1.1 = 3,301.1 → 3,301.
    assert v["mrr_previous_month_end"] == 2_200
    assert v["mrr"] == 3_301
    # The movement is the difference of the two converted states: 3,301 − 2,200 = 1,101
    # (not €10.01 × 1.1 = 1,101.1 rounded on its own), and it reconciles.
    assert v["mrr_expansion"] == 1_101
    assert_reconciles(v)


def test_a_subscription_that_moves_to_another_currency_is_counted_in_each_at_its_rate(
    engine: Engine,
) -> None:
    m = metrics(
        engine,
        charges=(
            sale("ch_eur", at(2026, 1, 2), 1_000, "eur", settled=1_090),  # 1.09
            sale("ch_gbp", at(2026, 1, 3), 1_000, "gbp", settled=1_270),  # 1.27
        ),
        states=(
            state("sub_x", "cus_x", SINCE, Item(1_500, 2, "month", 1), currency="eur"),
            state("sub_x", "cus_x", at(2026, 2, 5), Item(1_200, 2, "month", 1), currency="gbp"),
        ),
    )
    v = m.values
    # End of January: €15.00 × 2 = €30.00 × 1.09 = 3,270. At D: £12.00 × 2 = £24.00 × 1.27 =
    # 3,048. One customer, one change of 3,048 − 3,270 = −222: contraction.
    assert (v["mrr_previous_month_end"], v["mrr"]) == (3_270, 3_048)
    assert v["mrr_contraction"] == 222
    assert v["mrr_by_currency"] == {"gbp": 2_400}
    assert_reconciles(v)
