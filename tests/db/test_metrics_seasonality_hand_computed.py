"""The seasonal index and volatility with the season taken out, on small hand-written ledgers,
computed by the real engine (SQL on PostgreSQL) and checked against the reference.

As of D = 2026-02-15 the 12 complete months are February 2025 … January 2026 and the year before
them, which the seasonal pattern is read from, February 2024 … January 2025. Each month of that
year is divided by the year's monthly mean (its seasonal index); each complete month is divided by
the index of its calendar month; the CV of what is left is the seasonally adjusted volatility
(docs/METRICS.md, "Seasonality"). The arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Engine
from vaultra.db.metrics_query import ledger_aggregates
from vaultra.domain.metrics.formulas import MetricSet, seasonal_indices
from vaultra.domain.metrics.periods import Periods, add_months
from vaultra.domain.metrics.records import ChargeRecord, Ledger
from vaultra.domain.scoring.criteria import evaluate
from vaultra.domain.scoring.model import CRITERIA

from tests.db.test_metrics_hand_computed import D, at, charge, compute
from tests.support.ledger_records import load_ledger, new_business

EARLIER_YEAR_START = at(2024, 2, 1)  # the first of the 24 complete months
COMPLETE_START = at(2025, 2, 1)
# A shop with a holiday peak: 10,000 a month February … October, then 20,000, 30,000 and 40,000 in
# November, December and January. The year's total is 9 × 10,000 + 90,000 = 180,000, a monthly
# mean of 15,000.
PEAKED = (10_000,) * 9 + (20_000, 30_000, 40_000)


def year_of_sales(prefix: str, first: datetime, volumes: tuple[int, ...]) -> list[ChargeRecord]:
    """One charge on the 10th of each of 12 months from `first`, of the given volumes (a month
    of 0 has no charge)."""
    out = []
    for k, volume in enumerate(volumes):
        month = add_months(first.date(), k)
        if volume:
            out.append(charge(f"ch_{prefix}{k}", at(month.year, month.month, 10), volume, "cus_a"))
    return out


def stability(m: MetricSet) -> tuple[str | None, int]:
    """The metric the stability criterion reads from this metric set, and its points."""
    result = evaluate(CRITERIA["revenue_volatility"], m.values, "usd", m.notes)
    return result.metric, result.points


def test_a_holiday_peak_that_repeats_exactly_is_steady_once_the_season_is_taken_out(
    engine: Engine,
) -> None:
    # The earlier year is the peaked one; March 2024's 10,000 is 6,000 in USD and 3,500 EUR that
    # Stripe settled for 4,000 USD; a EUR charge without a settled amount, a failed and an
    # uncaptured charge add nothing. The 12 complete months sell exactly twice as much, month by
    # month. The shop opened in January 2024, before the 24 months.
    earlier = year_of_sales("e", EARLIER_YEAR_START, (10_000, 6_000, *PEAKED[2:]))
    complete = year_of_sales("c", COMPLETE_START, tuple(2 * v for v in PEAKED))
    ledger = Ledger(
        charges=(
            charge("ch_open", at(2024, 1, 20), 1_000, "cus_a"),
            *earlier,
            charge("ch_eur", at(2024, 3, 12), 3_500, "cus_b", currency="eur", settled_usd=4_000),
            charge("ch_eur_unsettled", at(2024, 4, 12), 9_000, "cus_b", currency="eur"),
            charge("ch_failed", at(2024, 5, 12), 9_000, "cus_b", status="failed"),
            charge("ch_uncaptured", at(2024, 6, 12), 9_000, "cus_b", captured=False),
            charge("ch_now", at(2026, 2, 3), 5_000, "cus_a"),  # D's month: not complete
            *complete,
        )
    )

    m = compute(engine, ledger)
    with engine.begin() as conn:
        business = new_business(conn, currency="usd")
        load_ledger(conn, business, ledger)
        totals = ledger_aggregates(conn, business, Periods(D), "usd").gross_year_earlier_by_month

    v = m.values
    # the earlier year as the engine reads it: March 6,000 + 4,000 settled = 10,000
    assert totals == PEAKED
    # its indices: 10,000 / 15,000 = 2/3 (February … October), 20,000 / 15,000 = 4/3,
    # 30,000 / 15,000 = 2, 40,000 / 15,000 = 8/3; they average 1 (6 + 4/3 + 2 + 8/3 = 12)
    assert seasonal_indices(totals) == (Fraction(2, 3),) * 9 + (
        Fraction(4, 3),
        Fraction(2),
        Fraction(8, 3),
    )
    # raw: 20,000 × 9, 40,000, 60,000, 80,000; mean 360,000 / 12 = 30,000; squared deviations
    # 9 × 10,000² + 10,000² + 30,000² + 50,000² = 4.4 × 10⁹, variance 3.6667 × 10⁸,
    # CV = 19,148.5 / 30,000 = √(11/27) = 0.6382847…
    assert v["revenue_volatility_cv_12m"] == Decimal("0.638285")
    # adjusted: 20,000 / (2/3) = 40,000 / (4/3) = 60,000 / 2 = 80,000 / (8/3) = 30,000 every
    # month: nothing varies
    assert v["revenue_volatility_cv_12m_seasonally_adjusted"] == Decimal("0.000000")
    assert v["seasonality_strength_24m"] == Decimal("1.000000")  # 1 − 0 / (11/27)
    # the year-earlier quarter is the last three of the same months: 20,000 + 30,000 + 40,000
    assert v["gross_volume_3m_year_earlier"] == 90_000
    assert v["revenue_growth_yoy"] == Decimal("1.000000")  # 180,000 / 90,000 − 1
    # stability reads the adjusted CV: 0 ≤ 15 %, 10 of 10 (the raw 63.8 % would earn 3)
    assert stability(m) == ("revenue_volatility_cv_12m_seasonally_adjusted", 10)


def test_fewer_than_24_complete_months_have_no_seasonal_index_and_stability_reads_the_raw_cv(
    engine: Engine,
) -> None:
    # The same shop, opened on 3 March 2024: February 2024, the first of the 24 months, has no
    # sale, so there is no whole year before the complete months (23 months of sales).
    earlier = year_of_sales("e", at(2024, 3, 1), PEAKED[1:])
    complete = year_of_sales("c", COMPLETE_START, tuple(2 * v for v in PEAKED))
    ledger = Ledger(
        charges=(charge("ch_open", at(2024, 3, 3), 1_000, "cus_a"), *earlier, *complete)
    )

    m = compute(engine, ledger)

    for key in ("revenue_volatility_cv_12m_seasonally_adjusted", "seasonality_strength_24m"):
        assert m.values[key] is None
        assert m.notes[key] == (
            "fewer than 24 complete months of sales: no whole year before the 12 complete months "
            "to read the seasonal pattern from"
        )
    # the raw CV is unchanged (√(11/27), as above), and the score reads it: 60 % < 63.8 % ≤ 80 %,
    # "very variable", 3 of 10
    assert m.values["revenue_volatility_cv_12m"] == Decimal("0.638285")
    assert stability(m) == ("revenue_volatility_cv_12m", 3)


def test_a_month_without_sales_in_the_earlier_year_has_no_index_to_divide_by(
    engine: Engine,
) -> None:
    # Opened in January 2024, but nothing sold in June 2024: its only charge is in EUR and Stripe
    # has not settled it, so it has no amount in USD. June's index would be 0 / 15,000 = 0, and
    # June 2025 cannot be divided by it: no index at all rather than one month left out.
    volumes = (*PEAKED[:4], 0, *PEAKED[5:])
    earlier = year_of_sales("e", EARLIER_YEAR_START, volumes)
    complete = year_of_sales("c", COMPLETE_START, tuple(2 * v for v in PEAKED))
    ledger = Ledger(
        charges=(
            charge("ch_open", at(2024, 1, 20), 1_000, "cus_a"),
            charge("ch_june_eur", at(2024, 6, 10), 10_000, "cus_b", currency="eur"),
            *earlier,
            *complete,
        )
    )

    m = compute(engine, ledger)

    for key in ("revenue_volatility_cv_12m_seasonally_adjusted", "seasonality_strength_24m"):
        assert m.values[key] is None
        assert m.notes[key] == (
            "no gross volume in 2024-06, a year before the 12 complete months: a month without "
            "sales has no seasonal index to divide by"
        )
    assert stability(m) == ("revenue_volatility_cv_12m", 3)
