"""Revenue, risk and concentration metrics of small hand-written ledgers, computed by the real
engine.

Charges count in the calendar month of their creation, refunds and disputes in that of theirs,
payouts by arrival date; the 90 days are D − 89 00:00 up to the end of D, the 30 days D − 29, the
12 months the day after the same day a year earlier (2025-02-16 00:00) up to the end of D. Growth
and volatility read the complete months, February 2025 … January 2026. Money is in the account
currency (usd): another currency counts with its settled amount, or is left out with a note. As of
D = 2026-02-15 unless a test says otherwise; the arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from vaultra.domain.metrics.records import DisputeRecord, Ledger, PayoutRecord, RefundRecord

from tests.db.test_metrics_hand_computed import at, charge, compute


def refund(
    refund_id: str,
    created: datetime,
    amount: int,
    *,
    currency: str = "usd",
    settled_usd: int | None = None,
    status: str = "succeeded",
) -> RefundRecord:
    usd = "usd" if settled_usd is not None else None
    return RefundRecord(refund_id, created, amount, currency, status, settled_usd, usd)


def dispute(
    dispute_id: str,
    created: datetime,
    amount: int,
    status: str = "needs_response",
    closed_at: datetime | None = None,
    *,
    currency: str = "usd",
    settled_usd: int | None = None,
) -> DisputeRecord:
    usd = "usd" if settled_usd is not None else None
    return DisputeRecord(dispute_id, created, amount, currency, status, closed_at, settled_usd, usd)


def test_gross_volume_counts_succeeded_captured_charges_by_calendar_month(engine: Engine) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 2, 1), 10_000, "cus_a"),  # first second of February
            charge("ch_2", at(2026, 2, 15, 23, 59, 59), 5_000, "cus_b"),  # last second of D
            charge("ch_3", at(2026, 2, 16), 7_000, "cus_a"),  # after D
            charge("ch_4", at(2026, 1, 31, 23, 59, 59), 8_000, "cus_a"),  # January
            charge("ch_5", at(2026, 2, 10), 9_000, "cus_b", status="failed"),
            charge("ch_6", at(2026, 2, 11), 4_000, "cus_b", captured=False),
            charge("ch_7", at(2025, 7, 20), 6_000, "cus_c"),  # six months before January
            charge("ch_8", at(2025, 3, 1), 2_000, "cus_c"),  # first month of the series
            # in February 2025, the first complete month, and in the 12 months ending at D
            charge("ch_9", at(2025, 2, 28, 23, 59, 59), 3_000, "cus_c"),
            # in February 2025 too, but the last second before the 12 months ending at D
            charge("ch_10", at(2025, 2, 15, 23, 59, 59), 1_000, "cus_c"),
        )
    )
    m = compute(engine, ledger)
    v = m.values
    assert v["gross_volume_month"] == 15_000  # 10,000 + 5,000
    assert v["charges_count_month"] == 2
    # 2025-02-16 … 2026-02-15: 3,000 + 2,000 + 6,000 + 8,000 + 15,000 (not ch_10)
    assert v["gross_volume_12m"] == 34_000
    assert v["gross_volume_by_month_12m"] == {
        **dict.fromkeys([f"2025-{month:02d}" for month in range(3, 13)], 0),
        "2025-03": 2_000,
        "2025-07": 6_000,
        "2026-01": 8_000,
        "2026-02": 15_000,
    }
    assert v["gross_volume_by_currency_12m"] == {"usd": 34_000}
    assert v["gross_volume_90d"] == 23_000  # from 2025-11-18: 8,000 + 15,000
    assert v["net_volume_month"] == 15_000
    # January on December, the last complete month on the one before: 8,000 on nothing
    assert v["revenue_growth_mom"] is None
    # (January 8,000 / July 6,000)^(1/6) − 1 = (4/3)^(1/6) − 1 = 1.0491151… − 1; February's
    # 15 days are not read
    assert v["cmgr_6m"] == Decimal("0.049115")
    # the complete months February 2025 … January 2026: 4,000 (ch_9 + ch_10), 2,000 (March),
    # 6,000 (July), 8,000 (January), eight empty. CV = √(12 · Σv² / (Σv)² − 1) with
    # Σv² = (4² + 2² + 6² + 8²) × 10⁶ = 120 × 10⁶ and (Σv)² = 20² × 10⁶ = 400 × 10⁶:
    # √(1,440 / 400 − 1) = √2.6 = 1.6124515…
    assert v["revenue_volatility_cv_12m"] == Decimal("1.612452")
    # parties in the 12 months ending at D: cus_a 10,000 + 8,000 = 18,000,
    # cus_c 3,000 + 2,000 + 6,000 = 11,000, cus_b 5,000
    assert v["customers_12m"] == 3
    assert v["top_customer_share_12m"] == Decimal("0.529412")  # 18 / 34 = 0.5294117…
    assert v["top5_customer_share_12m"] == Decimal("1.000000")
    # 10,000 × (18² + 11² + 5²) / 34² = 10,000 × 470 / 1,156 = 4,065.7439…
    assert v["hhi_12m"] == Decimal("4065.74")
    # 15 February 2025 (ch_10) … 15 February 2026: a year to the day, 12 whole months
    assert v["months_of_history"] == 12
    assert v["data_through"] == "2026-02-15T23:59:59Z"  # ch_2; ch_3 is after D
    assert v["dispute_activity_ratio_mastercard_month"] == Decimal("0.000000")  # 0 / 1 in January
    assert "gross_volume_12m" not in m.notes


def test_refund_on_the_first_of_the_month_counts_in_that_month(engine: Engine) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 1, 31, 22), 10_000, "cus_a"),
            charge("ch_2", at(2026, 1, 20), 4_000, "cus_b"),
            charge("ch_3", at(2026, 2, 5), 6_000, "cus_c"),
        ),
        refunds=(
            refund("re_1", at(2026, 2, 1), 10_000),  # ch_1, refunded at 00:00:00 on Feb 1
            refund("re_2", at(2026, 1, 31, 23, 59, 59), 1_000),  # ch_2, last second of January
            refund("re_3", at(2026, 2, 6), 6_000, status="failed"),  # never happened
            refund("re_4", at(2026, 2, 7), 500, status="canceled"),
        ),
    )
    v = compute(engine, ledger).values
    assert v["refunded_amount_month"] == 10_000  # re_1 only
    assert v["gross_volume_month"] == 6_000  # ch_3
    assert v["net_volume_month"] == -4_000  # 6,000 − 10,000
    # 90 days: refunds 10,000 + 1,000 over charges 10,000 + 4,000 + 6,000 = 11,000 / 20,000
    assert v["refund_rate_90d"] == Decimal("0.550000")
    january = compute(engine, ledger, date(2026, 1, 31)).values
    assert january["refunded_amount_month"] == 1_000  # re_2; re_1 is in February
    assert january["gross_volume_month"] == 14_000  # 10,000 + 4,000
    assert january["net_volume_month"] == 13_000  # 14,000 − 1,000
    assert january["refund_rate_90d"] == Decimal("0.071429")  # 1,000 / 14,000 = 0.0714285…


def test_a_dispute_at_the_last_second_of_a_month_belongs_to_that_month(engine: Engine) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_j1", at(2026, 1, 10), 5_000, "cus_a"),
            charge("ch_j2", at(2026, 1, 20), 5_000, "cus_b"),
            *(charge(f"ch_f{day}", at(2026, 2, day), 2_500, f"cus_{day}") for day in (2, 3, 4, 5)),
        ),
        disputes=(
            dispute("dp_1", at(2026, 1, 31, 23, 59, 59), 3_000),
            dispute("dp_2", at(2026, 2, 1), 2_000, "under_review"),
        ),
    )
    v = compute(engine, ledger).values
    assert v["disputes_count_month"] == 1  # dp_2
    assert v["disputed_amount_month"] == 2_000
    assert v["net_volume_month"] == 8_000  # 4 × 2,500 − 2,000
    assert v["dispute_activity_ratio_month"] == Decimal("0.250000")  # 1 / 4 February charges
    # Mastercard's ratio: this month's disputes over last month's charges, 1 / 2
    assert v["dispute_activity_ratio_mastercard_month"] == Decimal("0.500000")
    assert v["dispute_activity_ratio_90d"] == Decimal("0.333333")  # 2 / 6
    january = compute(engine, ledger, date(2026, 1, 31)).values
    assert january["disputes_count_month"] == 1  # dp_1
    assert january["disputed_amount_month"] == 3_000
    assert january["net_volume_month"] == 7_000  # 10,000 − 3,000
    assert january["dispute_activity_ratio_month"] == Decimal("0.500000")  # 1 / 2


def test_inquiries_are_counted_apart_and_not_as_disputes(engine: Engine) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 2, 2), 10_000, "cus_a"),
            charge("ch_2", at(2026, 2, 3), 10_000, "cus_b"),
        ),
        disputes=(
            dispute("dp_1", at(2026, 2, 3), 1_500, "warning_needs_response"),
            dispute("dp_2", at(2026, 2, 4), 2_500, "warning_under_review"),
            dispute("dp_3", at(2026, 2, 5), 500, "warning_closed"),
            dispute("dp_4", at(2026, 2, 6), 1_000, "needs_response"),
        ),
    )
    v = compute(engine, ledger).values
    assert v["inquiries_count_month"] == 3
    assert v["disputes_count_month"] == 1  # dp_4
    assert v["disputed_amount_month"] == 1_000  # inquiries move no money
    assert v["net_volume_month"] == 19_000  # 20,000 − 1,000
    assert v["dispute_activity_ratio_month"] == Decimal("0.500000")  # 1 / 2
    assert v["dispute_activity_ratio_90d"] == Decimal("0.500000")  # 1 / 2


def test_a_won_dispute_closed_in_the_month_is_added_back_to_net_volume(engine: Engine) -> None:
    ledger = Ledger(
        charges=(charge("ch_1", at(2026, 2, 2), 50_000, "cus_a"),),
        disputes=(
            # opened in January, won in February: added back in February
            dispute("dp_1", at(2026, 1, 20), 3_000, "won", at(2026, 2, 5)),
            # opened and won in February: disputed and added back
            dispute("dp_2", at(2026, 2, 2), 2_000, "won", at(2026, 2, 9)),
            # lost in February: nothing (it was disputed in January)
            dispute("dp_3", at(2026, 1, 10), 4_000, "lost", at(2026, 2, 3)),
            # opened in February, won at 00:00 the day after D: disputed, not yet won
            dispute("dp_4", at(2026, 2, 4), 1_000, "won", at(2026, 2, 16)),
            # won at the last second of January: January's
            dispute("dp_5", at(2025, 12, 1), 5_000, "won", at(2026, 1, 31, 23, 59, 59)),
        ),
    )
    v = compute(engine, ledger).values
    assert v["disputes_count_month"] == 2  # dp_2, dp_4
    assert v["disputed_amount_month"] == 3_000  # 2,000 + 1,000
    # 50,000 − 3,000 disputed + 3,000 (dp_1) + 2,000 (dp_2) won
    assert v["net_volume_month"] == 52_000
    # as of Feb 28, dp_4 is won too: 50,000 − 3,000 + 3,000 + 2,000 + 1,000
    assert compute(engine, ledger, date(2026, 2, 28)).values["net_volume_month"] == 53_000


def test_foreign_currency_counts_at_its_settled_amount_and_is_left_out_without_one(
    engine: Engine,
) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 2, 3), 10_000, "cus_a"),
            charge("ch_2", at(2026, 2, 4), 9_000, "cus_b", currency="eur", settled_usd=9_750),
            charge("ch_3", at(2026, 2, 5), 4_000, "cus_c", currency="eur"),  # not settled yet
            charge("ch_4", at(2026, 2, 6), 2_000, None, currency="gbp", settled_usd=2_540),
        ),
        refunds=(
            refund("re_1", at(2026, 2, 7), 1_000, currency="eur", settled_usd=1_080),
            refund("re_2", at(2026, 2, 8), 500, currency="eur"),  # no settled amount
        ),
        disputes=(dispute("dp_1", at(2026, 2, 9), 9_000, currency="eur", settled_usd=9_750),),
    )
    m = compute(engine, ledger)
    v = m.values
    assert v["gross_volume_month"] == 22_290  # 10,000 + 9,750 + 2,540
    assert v["gross_volume_12m"] == 22_290
    assert v["gross_volume_90d"] == 22_290
    assert v["charges_count_month"] == 4  # every succeeded charge, converted or not
    # native amounts by currency, the unconverted one included: eur 9,000 + 4,000
    assert v["gross_volume_by_currency_12m"] == {"eur": 13_000, "gbp": 2_000, "usd": 10_000}
    assert m.notes["gross_volume_12m"] == (
        "1 charge(s) in another currency have no settled amount yet and are left out"
    )
    assert v["refunded_amount_month"] == 1_080
    assert m.notes["refunded_amount_month"] == (
        "1 refund(s) in another currency have no settled amount yet and are left out"
    )
    assert "disputed_amount_month" not in m.notes  # the dispute was settled
    assert v["disputed_amount_month"] == 9_750
    assert v["net_volume_month"] == 11_460  # 22,290 − 1,080 − 9,750
    assert v["refund_rate_90d"] == Decimal("0.048452")  # 1,080 / 22,290 = 0.0484522…
    assert v["dispute_activity_ratio_month"] == Decimal("0.250000")  # 1 / 4
    # parties with a known amount: cus_a 10,000, cus_b 9,750, ch_4 2,540
    assert v["customers_12m"] == 3
    assert v["top_customer_share_12m"] == Decimal("0.448632")  # 10,000 / 22,290 = 0.4486316…
    # 10,000 × (10,000² + 9,750² + 2,540²) / 22,290² = 10,000 × 201,514,100 / 496,844,100
    # = 4,055.8819…
    assert v["hhi_12m"] == Decimal("4055.88")


def test_charges_without_a_customer_are_separate_parties_for_concentration(
    engine: Engine,
) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_a1", at(2025, 4, 10), 3_000, "cus_a"),
            charge("ch_a2", at(2026, 1, 10), 2_000, "cus_a"),
            charge("ch_b", at(2025, 9, 1), 2_000, "cus_b"),
            charge("ch_g1", at(2025, 10, 1), 1_000),  # no customer
            charge("ch_g2", at(2025, 10, 2), 1_000),  # no customer
            charge("ch_c", at(2025, 12, 1), 500, "cus_c"),
            charge("ch_d", at(2026, 2, 1), 500, "cus_d"),
            # the last second before the 12 months ending at D (2025-02-16 00:00)
            charge("ch_old", at(2025, 2, 15, 23, 59, 59), 50_000, "cus_a"),
            charge("ch_failed", at(2026, 2, 2), 9_000, "cus_d", status="failed"),
        )
    )
    v = compute(engine, ledger).values
    # parties: cus_a 5,000, cus_b 2,000, ch_g1 1,000, ch_g2 1,000, cus_c 500, cus_d 500
    assert v["gross_volume_12m"] == 10_000
    assert v["customers_12m"] == 6
    assert v["top_customer_share_12m"] == Decimal("0.500000")  # 5,000 / 10,000
    # (5,000 + 2,000 + 1,000 + 1,000 + 500) / 10,000; the two guests as one party would give 1
    assert v["top5_customer_share_12m"] == Decimal("0.950000")
    # 10,000 × (0.5² + 0.2² + 0.1² + 0.1² + 0.05² + 0.05²) = 10,000 × 0.315
    # (one guest party of 0.2 would give 10,000 × 0.335 = 3,350)
    assert v["hhi_12m"] == Decimal("3150.00")


def test_payouts_are_counted_by_arrival_date(engine: Engine) -> None:
    ledger = Ledger(
        payouts=(
            # created before the 90 days, arriving on their first day: counted
            PayoutRecord("po_1", at(2025, 11, 18), "paid", created=at(2025, 11, 10)),
            # created in the 90 days, arriving the day before them: not counted
            PayoutRecord("po_2", at(2025, 11, 17), "failed", created=at(2025, 11, 15)),
            PayoutRecord("po_3", at(2025, 12, 3), "failed", created=at(2025, 12, 1)),
            PayoutRecord("po_4", at(2026, 1, 5), "paid", created=at(2026, 1, 3)),
            PayoutRecord("po_5", at(2026, 2, 2), "paid", created=at(2026, 1, 31)),
            # created by D, arriving after it: not counted yet
            PayoutRecord("po_6", at(2026, 2, 16), "paid", created=at(2026, 2, 14)),
            PayoutRecord("po_9", at(2026, 2, 17), "failed", created=at(2026, 2, 15)),
            # neither paid nor failed
            PayoutRecord("po_7", at(2026, 2, 12), "pending", created=at(2026, 2, 10)),
            PayoutRecord("po_8", at(2026, 2, 10), "canceled", created=at(2026, 2, 8)),
        )
    )
    v = compute(engine, ledger).values
    # paid po_1, po_4, po_5; failed po_3: 1 / (3 + 1)
    assert v["payout_failure_rate_90d"] == Decimal("0.250000")
    assert v["payouts_failed_90d"] == 1
    assert v["last_payout_failure_at"] == "2025-12-03T00:00:00Z"  # po_3 (po_9 arrives after D)
    assert v["payout_paid_streak"] == 2  # po_4, po_5
    # as of Feb 17 the 90 days start Nov 20: paid po_4, po_5, po_6; failed po_3, po_9: 2 / 5
    later = compute(engine, ledger, date(2026, 2, 17)).values
    assert later["payout_failure_rate_90d"] == Decimal("0.400000")
    assert later["payouts_failed_90d"] == 2
    assert later["last_payout_failure_at"] == "2026-02-17T00:00:00Z"
    assert later["payout_paid_streak"] == 0


def test_the_90_days_start_at_midnight_of_d_minus_89(engine: Engine) -> None:
    # D − 89 = 2025-11-18 (in), D − 90 = 2025-11-17 (out, to its last second)
    first, before = at(2025, 11, 18), at(2025, 11, 17, 23, 59, 59)
    ledger = Ledger(
        charges=(
            charge("ch_in", first, 1_000, "cus_a"),
            charge("ch_out", before, 2_000, "cus_b"),
            charge("ch_d", at(2026, 2, 15, 23, 59, 59), 3_000, "cus_c"),
        ),
        refunds=(refund("re_in", first, 500), refund("re_out", before, 700)),
        disputes=(dispute("dp_in", first, 100), dispute("dp_out", before, 100)),
        payouts=(PayoutRecord("po_in", first, "paid"), PayoutRecord("po_out", before, "failed")),
    )
    v = compute(engine, ledger).values
    assert v["gross_volume_90d"] == 4_000  # 1,000 + 3,000
    assert v["refund_rate_90d"] == Decimal("0.125000")  # 500 / 4,000
    assert v["dispute_activity_ratio_90d"] == Decimal("0.500000")  # 1 dispute / 2 charges
    assert v["payout_failure_rate_90d"] == Decimal("0.000000")  # 0 failed / 1
    assert v["payouts_failed_90d"] == 0
    assert v["last_payout_failure_at"] == "2025-11-17T23:59:59Z"  # still the last failure
    assert v["payout_paid_streak"] == 1  # po_in
    assert v["gross_volume_12m"] == 6_000  # the 12 months take all three
