"""What a month start does, and does not do, to the metrics the score reads: hand-written ledgers
computed by the real engine (and checked against the reference) as of the last day of a month
and as of the 1st of the next.

The score reads trailing windows ending at D (12 months, 90 and 30 days, MRR 30 days earlier) and
complete calendar months (the months before D's month). A business that does the same thing every
day must read the same on the 31st and on the 1st; only the month-to-date metrics, which are shown
but never scored, start again from nothing. The arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from vaultra.domain.metrics.records import ChargeRecord, DisputeRecord, Ledger

from tests.db.test_metrics_hand_computed import at, charge, compute, monthly, state

LAST_DAY, FIRST_DAY = date(2026, 1, 31), date(2026, 2, 1)


def every_day(first: date, last: date, per_day: int = 1, amount: int = 1_000) -> list[ChargeRecord]:
    """`per_day` charges of `amount` at noon on every day from `first` to `last`, each by its own
    customer (so concentration stays flat)."""
    out, day = [], first
    while day <= last:
        for n in range(per_day):
            noon = at(day.year, day.month, day.day, 12, n)
            out.append(charge(f"ch_{day.isoformat()}_{n}", noon, amount, f"cus_{day}_{n}"))
        day += timedelta(days=1)
    return out


@pytest.fixture(scope="module")
def steady_sales() -> Ledger:
    # 1,000 at noon every day from 1 January 2025 to 2 February 2026
    return Ledger(charges=tuple(every_day(date(2025, 1, 1), date(2026, 2, 2))))


def test_the_same_sales_every_day_give_the_same_12_month_volume_on_the_31st_and_the_1st(
    engine: Engine, steady_sales: Ledger
) -> None:
    last, first = compute(engine, steady_sales, LAST_DAY), compute(engine, steady_sales, FIRST_DAY)
    # 31 January: 1 February 2025 … 31 January 2026 = 365 days × 1,000 = 365,000
    # 1 February: 2 February 2025 … 1 February 2026 = 365 days × 1,000 = 365,000
    # (metrics-1 summed March 2025 … 1 February 2026 on the 1st: 306 + 1 = 307 days, 307,000)
    assert last.values["gross_volume_12m"] == first.values["gross_volume_12m"] == 365_000
    # one party a day: 365 parties of 1,000 each, the largest 1 / 365 = 0.0027397…
    assert last.values["customers_12m"] == first.values["customers_12m"] == 365
    assert last.values["top_customer_share_12m"] == Decimal("0.002740")
    assert first.values["top_customer_share_12m"] == Decimal("0.002740")
    # the 90 days: 90 × 1,000 either day
    assert last.values["gross_volume_90d"] == first.values["gross_volume_90d"] == 90_000


def test_the_complete_months_read_the_same_on_the_31st_and_the_1st_for_steady_sales(
    engine: Engine, steady_sales: Ledger
) -> None:
    last, first = compute(engine, steady_sales, LAST_DAY), compute(engine, steady_sales, FIRST_DAY)
    # 31 January: January is not over until the day is, so the complete months are January …
    # December 2025; 1 February: February 2025 … January 2026. Either way twelve consecutive
    # months of 1,000 a day: one month of 28 days, four of 30 and seven of 31, mean
    # 365,000 / 12 = 30,416.67; Σ(v − mean)² = (28 − 30.4167)² + 4 (30 − 30.4167)²
    # + 7 (31 − 30.4167)² = 5.8403 + 0.6944 + 2.3819 = 8.9167 (× 1,000²); σ = √(8.9167 / 12)
    # × 1,000 = 862.00; CV = 862.00 / 30,416.67 = 0.028340 — the calendar's own unevenness
    assert last.values["revenue_volatility_cv_12m"] == Decimal("0.028340")
    assert first.values["revenue_volatility_cv_12m"] == Decimal("0.028340")
    # growth of the last complete month on the one before: December (31,000) on November
    # (30,000) = 0.033333 on the 31st; January (31,000) on December (31,000) = 0 on the 1st.
    # A month's length moves it, a month start alone does not: metrics-1 read 1,000 of 1
    # February on 31,000 of January, −96.8 %, on the 1st.
    assert last.values["revenue_growth_mom"] == Decimal("0.033333")
    assert first.values["revenue_growth_mom"] == Decimal("0.000000")
    # six complete months: (December 31,000 / June 30,000)^(1/6) − 1 = (31/30)^(1/6) − 1
    # = 0.0054795…; (January 31,000 / July 31,000)^(1/6) − 1 = 0
    assert last.values["cmgr_6m"] == Decimal("0.005480")
    assert first.values["cmgr_6m"] == Decimal("0.000000")
    # 1 January 2025 … 31 January 2026 is 13 whole months; on 1 February still 13
    assert last.values["months_of_history"] == first.values["months_of_history"] == 13


def test_the_month_to_date_metrics_start_again_on_the_1st_and_are_not_scored(
    engine: Engine, steady_sales: Ledger
) -> None:
    last, first = compute(engine, steady_sales, LAST_DAY), compute(engine, steady_sales, FIRST_DAY)
    # January's 31 days, then February's first day: shown as they are
    assert (last.values["gross_volume_month"], first.values["gross_volume_month"]) == (
        31_000,
        1_000,
    )
    assert (last.values["charges_count_month"], first.values["charges_count_month"]) == (31, 1)
    # the published monthly series keeps the month in progress as its last entry
    by_month = first.values["gross_volume_by_month_12m"]
    assert isinstance(by_month, dict)
    assert list(by_month)[-2:] == ["2026-01", "2026-02"]
    assert (by_month["2026-01"], by_month["2026-02"]) == (31_000, 1_000)


def disputed(ledger: Ledger, *disputes: DisputeRecord) -> Ledger:
    return Ledger(charges=ledger.charges, disputes=disputes)


def test_a_dispute_on_the_1st_is_read_against_30_days_of_charges_not_one(engine: Engine) -> None:
    # 10 charges a day from 1 November 2025; one dispute at 09:00 on 1 February 2026
    sales = Ledger(charges=tuple(every_day(date(2025, 11, 1), date(2026, 2, 1), per_day=10)))
    ledger = disputed(sales, DisputeRecord("dp_1", at(2026, 2, 1, 9), 1_000, "usd"))
    v = compute(engine, ledger, FIRST_DAY).values
    # 3 January … 1 February: 30 days × 10 = 300 charges, 1 dispute: 1 / 300 = 0.0033333…, in
    # the score's 0.65 % band, far from its 1.5 % ceiling
    assert (v["disputes_count_30d"], v["charges_count_30d"]) == (1, 300)
    assert v["dispute_activity_ratio_30d"] == Decimal("0.003333")
    # the 90 days: 1 / 900
    assert v["dispute_activity_ratio_90d"] == Decimal("0.001111")
    # the calendar month, a day old: 1 / 10 = 10 %. metrics-1 scored this, and held the score
    # at 40; it is still shown (Visa counts by calendar month), never scored
    assert v["dispute_activity_ratio_month"] == Decimal("0.100000")
    # the day before, the same 30-day window without the dispute: 0 / 300
    before = compute(engine, ledger, LAST_DAY).values
    assert before["dispute_activity_ratio_30d"] == Decimal("0.000000")


def test_mrr_growing_every_day_grows_as_much_over_30_days_on_the_31st_as_on_the_1st(
    engine: Engine,
) -> None:
    # 100,000 a month since 2025, then one more 1,000 customer every day from 1 December 2025
    base = state("sub_base", "cus_base", at(2025, 1, 1), monthly(100_000))
    daily = [
        state(f"sub_{n}", f"cus_{n}", at(2025, 12, 1) + timedelta(days=n), monthly(1_000))
        for n in range(64)  # 1 December … 2 February
    ]
    ledger = Ledger(states=(base, *daily))
    last, first = compute(engine, ledger, LAST_DAY), compute(engine, ledger, FIRST_DAY)
    # end of 31 January: 100,000 + 62 × 1,000 (1 December … 31 January) = 162,000; 30 days
    # earlier, the end of 1 January: 100,000 + 32 × 1,000 = 132,000; 30,000 / 132,000 = 0.2272727…
    assert (last.values["mrr"], last.values["mrr_30_days_before"]) == (162_000, 132_000)
    assert last.values["mrr_growth_30d"] == Decimal("0.227273")
    # end of 1 February: 163,000; the end of 2 January: 133,000; 30,000 / 133,000 = 0.2255639…
    assert (first.values["mrr"], first.values["mrr_30_days_before"]) == (163_000, 133_000)
    assert first.values["mrr_growth_30d"] == Decimal("0.225564")
    # the score's six-month rate: 180 days before the end of 31 January is the end of 4 August
    # 2025, 100,000 then; (162,000 / 100,000)^(1/6) − 1 = 1.62^(1/6) − 1 = 0.0837251…, and a
    # day later (163,000 / 100,000)^(1/6) − 1 = 0.0848372…: a day's growth, nothing more
    assert (last.values["mrr_180_days_before"], first.values["mrr_180_days_before"]) == (
        100_000,
        100_000,
    )
    assert last.values["mrr_cmgr_6m"] == Decimal("0.083725")
    assert first.values["mrr_cmgr_6m"] == Decimal("0.084837")
    # since the end of the previous month: 31,000 / 131,000 = 0.2366412… on the 31st, one day's
    # 1,000 / 162,000 = 0.0061728… on the 1st. metrics-1 scored this; it is shown, never scored
    assert last.values["mrr_growth_mom"] == Decimal("0.236641")
    assert first.values["mrr_growth_mom"] == Decimal("0.006173")


def test_customer_churn_waits_for_the_month_to_be_over(engine: Engine) -> None:
    # ten customers since 2025; one leaves on 10 January 2026, another on 1 February 00:00
    paying = [state(f"sub_{n}", f"cus_{n}", at(2025, 1, 1), monthly(1_000)) for n in range(10)]
    gone = [
        state("sub_0", "cus_0", at(2026, 1, 10), monthly(1_000), status="canceled"),
        state("sub_1", "cus_1", at(2026, 2, 1), monthly(1_000), status="canceled"),
    ]
    ledger = Ledger(states=(*paying, *gone))
    last, first = compute(engine, ledger, LAST_DAY), compute(engine, ledger, FIRST_DAY)
    # 31 January: the complete months are October, November, December — ten paying at each
    # start, none gone by its end: 0 / 30. January's churn waits for January to be over.
    assert last.values["customer_churn_rate_3m"] == Decimal("0.000000")
    # 1 February: November, December, January: (0 + 0 + 1) / (10 + 10 + 10) = 0.0333333…;
    # cus_1, gone at 00:00 on the 1st, counts in February
    assert first.values["customer_churn_rate_3m"] == Decimal("0.033333")
    # the month to date: of the 9 paying at the end of January, cus_1 pays nothing now: 1 / 9
    assert first.values["customer_churn_rate"] == Decimal("0.111111")
