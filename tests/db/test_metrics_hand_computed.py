"""Metrics of small hand-written ledgers, computed by the real engine (SQL on PostgreSQL).

Each test loads a few records, computes the metric set as of a day with `compute_metric_set`, and
checks values worked out by hand (the arithmetic is in the comments). `compute` also checks that the
record-by-record reference implementation gives the same metric set. This file holds the helpers and
the account-level cases (empty account, a single month, history, zero denominators); MRR and
revenue/risk cases are in `test_metrics_mrr_hand_computed.py` and
`test_metrics_revenue_hand_computed.py`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.metrics.formulas import MetricSet, compute_metrics
from vaultra.domain.metrics.periods import Periods
from vaultra.domain.metrics.records import (
    ChargeRecord,
    DisputeRecord,
    Ledger,
    PayoutRecord,
    RefundRecord,
    StateRecord,
)
from vaultra.domain.mrr import Discount, Item
from vaultra.services.metrics import compute_metric_set
from vaultra_dev.reference_metrics import reference_aggregates

from tests.support.ledger_records import load_ledger, new_business
from tests.support.metric_contract import REQUIRED_METRICS

# As of 2026-02-15: the month is 2026-02-01 00:00 … 2026-02-16 00:00 (exclusive); the previous
# month ends 2026-02-01 00:00; the 90 days start 2025-11-18 00:00 (D − 89), the 30 days
# 2026-01-17 00:00 (D − 29); the 12 months ending at D start 2025-02-16 00:00; the published
# monthly series is March 2025 … February 2026, the complete months February 2025 … January 2026;
# twelve months earlier is the end of 2025-02-15.
D = date(2026, 2, 15)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def monthly(unit_amount: int, quantity: int = 1) -> Item:
    return Item(unit_amount, quantity, "month", 1)


def state(
    subscription: str,
    customer: str,
    valid_from: datetime,
    *items: Item,
    status: str = "active",
    discount: Discount | None = None,
    currency: str | None = None,
) -> StateRecord:
    return StateRecord(subscription, customer, valid_from, status, items, discount, currency)


def charge(
    charge_id: str,
    created: datetime,
    amount: int,
    customer: str | None = None,
    *,
    currency: str = "usd",
    settled_usd: int | None = None,
    status: str = "succeeded",
    captured: bool = True,
) -> ChargeRecord:
    """A charge; `settled_usd` is its balance transaction's amount when Stripe converted it."""
    return ChargeRecord(
        charge_id,
        created,
        amount,
        currency,
        customer,
        status,
        captured,
        settled_usd,
        "usd" if settled_usd is not None else None,
    )


def compute(engine: Engine, ledger: Ledger, as_of: date = D) -> MetricSet:
    """The engine's metric set as of `as_of` for `ledger` (account currency usd), after checking
    that the reference implementation computes the same values and notes."""
    with engine.begin() as conn:
        business = new_business(conn, currency="usd")
        load_ledger(conn, business, ledger)
        metrics = compute_metric_set(UnitOfWork(conn), business, as_of)
    periods = Periods(as_of)
    reference = compute_metrics(reference_aggregates(ledger, periods, "usd"), periods)
    differ = {
        k: (metrics.values.get(k), reference.values.get(k))
        for k in metrics.values.keys() | reference.values.keys()
        if metrics.values.get(k) != reference.values.get(k)
    }
    assert not differ, f"engine vs reference: {differ}"
    assert metrics.notes == reference.notes
    return metrics


def test_an_empty_account_has_zero_amounts_and_null_ratios_with_reasons(engine: Engine) -> None:
    m = compute(engine, Ledger())
    v = m.values
    assert set(v) >= REQUIRED_METRICS
    for key in (
        "mrr", "arr", "paying_customers", "mrr_new", "mrr_expansion", "mrr_contraction",
        "mrr_churn", "mrr_reactivation", "mrr_previous_month_end", "customers_churned_month",
        "gross_volume_month", "gross_volume_12m", "gross_volume_90d", "refunded_amount_month",
        "disputed_amount_month", "net_volume_month", "disputes_count_month",
        "inquiries_count_month", "charges_count_month", "payouts_failed_90d",
        "payout_paid_streak", "customers_12m", "months_of_history", "mrr_30_days_before",
        "mrr_180_days_before", "charges_count_30d", "disputes_count_30d", "charges_count_90d",
        "disputes_count_90d", "repeat_customers_12m", "gross_volume_3m",
        "gross_volume_3m_year_earlier",
    ):  # fmt: skip
        assert v[key] == 0, key
    for key in (
        "arpa", "mrr_growth_mom", "mrr_growth_30d", "mrr_cmgr_6m", "customer_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate", "quick_ratio", "nrr_12m", "grr_12m", "customer_churn_rate_3m",
        "ltv", "revenue_growth_mom", "cmgr_6m", "revenue_growth_yoy", "cmgr_yoy",
        "revenue_volatility_cv_12m", "refund_rate_90d",
        "dispute_activity_ratio_month", "dispute_activity_ratio_mastercard_month",
        "dispute_activity_ratio_30d", "dispute_activity_ratio_90d", "payout_failure_rate_90d",
        "top_customer_share_12m",
        "top5_customer_share_12m", "hhi_12m", "data_through", "last_synced_at",
        "repeat_purchase_rate_12m", "repeat_customer_revenue_share_12m",
    ):  # fmt: skip
        assert v[key] is None, key
        assert m.notes[key], key  # a reason, never a silent 0 or NaN
    assert v["last_payout_failure_at"] is None  # no failure: nothing to explain
    assert v["mrr_by_currency"] == {}
    assert v["gross_volume_by_currency_12m"] == {}
    assert v["gross_volume_by_month_12m"] == dict.fromkeys(
        [f"2025-{month:02d}" for month in range(3, 13)] + ["2026-01", "2026-02"], 0
    )
    assert "no succeeded charge" in m.notes["months_of_history"]
    assert m.currency == "usd"


def test_a_single_month_of_history(engine: Engine) -> None:
    # Everything starts in February: one monthly and one yearly customer, each paid once.
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 2, 2, 10), 4_900, "cus_a"),
            charge("ch_2", at(2026, 2, 9, 8), 60_000, "cus_b"),
        ),
        states=(
            state("sub_a", "cus_a", at(2026, 2, 2, 10), monthly(4_900)),
            state("sub_b", "cus_b", at(2026, 2, 9, 8), Item(60_000, 1, "year", 1)),
        ),
    )
    m = compute(engine, ledger)
    v = m.values
    assert v["mrr"] == 9_900  # 4,900 + 60,000 / 12 = 4,900 + 5,000
    assert v["arr"] == 118_800  # 9,900 × 12
    assert v["paying_customers"] == 2
    assert v["arpa"] == 4_950  # 9,900 / 2
    assert v["mrr_new"] == 9_900  # both customers are new this month
    assert (v["mrr_expansion"], v["mrr_contraction"], v["mrr_churn"]) == (0, 0, 0)
    assert v["mrr_reactivation"] == 0
    assert v["mrr_previous_month_end"] == 0
    # nothing at the end of January nor 30 or 180 days ago, nobody at the start of the 3 complete
    # months, nobody churned, no complete month with sales
    for key in (
        "mrr_growth_mom", "mrr_growth_30d", "mrr_cmgr_6m", "customer_churn_rate",
        "gross_mrr_churn_rate", "net_mrr_churn_rate", "quick_ratio", "nrr_12m", "grr_12m",
        "customer_churn_rate_3m", "ltv", "revenue_growth_mom", "cmgr_6m", "revenue_volatility_cv_12m",
        "dispute_activity_ratio_mastercard_month", "payout_failure_rate_90d",
    ):  # fmt: skip
        assert v[key] is None, key
        assert m.notes[key], key
    assert v["gross_volume_month"] == 64_900  # 4,900 + 60,000
    assert v["gross_volume_12m"] == 64_900
    assert v["gross_volume_90d"] == 64_900
    assert v["net_volume_month"] == 64_900  # no refunds or disputes
    # February is not over: the 12 complete months (February 2025 … January 2026) have no sales
    assert m.notes["revenue_volatility_cv_12m"] == "no gross volume in the 12 complete months"
    assert v["refund_rate_90d"] == Decimal("0.000000")  # 0 / 64,900: a real zero
    assert v["charges_count_month"] == 2
    assert v["dispute_activity_ratio_month"] == Decimal("0.000000")  # 0 / 2
    assert (v["charges_count_30d"], v["disputes_count_30d"]) == (2, 0)
    assert (v["charges_count_90d"], v["disputes_count_90d"]) == (2, 0)
    assert v["dispute_activity_ratio_30d"] == Decimal("0.000000")  # 0 / 2
    assert v["customers_12m"] == 2
    assert v["top_customer_share_12m"] == Decimal("0.924499")  # 60,000 / 64,900 = 0.9244992…
    assert v["top5_customer_share_12m"] == Decimal("1.000000")
    # 10,000 × (60,000² + 4,900²) / 64,900² = 10,000 × 3,624,010,000 / 4,212,010,000 = 8,603.9919…
    assert v["hhi_12m"] == Decimal("8603.99")
    assert v["months_of_history"] == 0  # 2 … 15 February: not yet a whole month
    assert v["data_through"] == "2026-02-09T08:00:00Z"  # the latest record: ch_2


def test_ratios_with_a_zero_denominator_are_null_even_when_the_numerator_is_not(
    engine: Engine,
) -> None:
    # A charge 106 days before D (outside the 90 days, in November), refunded and disputed in
    # February; a new subscription in February; a payout still pending.
    ledger = Ledger(
        charges=(charge("ch_1", at(2025, 11, 1), 10_000, "cus_a"),),
        refunds=(RefundRecord("re_1", at(2026, 2, 4), 2_000, "usd"),),
        disputes=(DisputeRecord("dp_1", at(2026, 2, 3), 10_000, "usd"),),
        payouts=(PayoutRecord("po_1", at(2026, 2, 10), "pending"),),
        states=(state("sub_a", "cus_a", at(2026, 2, 5), monthly(3_000)),),
    )
    m = compute(engine, ledger)
    v = m.values
    # 2,000 refunded / 0 gross in the 90 days
    assert v["refund_rate_90d"] is None
    assert m.notes["refund_rate_90d"] == "no gross volume in the 90 days ending at D"
    # 1 dispute / 0 charges in February, January and the 90 days
    assert v["dispute_activity_ratio_month"] is None
    assert m.notes["dispute_activity_ratio_month"] == "no succeeded charges in the month"
    assert v["dispute_activity_ratio_mastercard_month"] is None
    assert v["dispute_activity_ratio_90d"] is None
    # a pending payout is neither paid nor failed: 0 / 0
    assert v["payout_failure_rate_90d"] is None
    assert "no paid or failed payout" in m.notes["payout_failure_rate_90d"]
    # 3,000 new MRR / 0 churn and contraction
    assert v["mrr_new"] == 3_000
    assert v["quick_ratio"] is None
    assert m.notes["quick_ratio"] == "no churn or contraction in the month"
    # no volume in January (previous month) nor in August (six months before)
    assert v["revenue_growth_mom"] is None
    assert v["cmgr_6m"] is None
    # the amounts themselves are real: 0 − 2,000 − 10,000 = −12,000
    assert v["refunded_amount_month"] == 2_000
    assert v["disputed_amount_month"] == 10_000
    assert v["net_volume_month"] == -12_000
    assert v["disputes_count_month"] == 1
    # the November charge is the whole 12 months: one party with everything
    assert v["gross_volume_12m"] == 10_000
    assert v["top_customer_share_12m"] == Decimal("1.000000")
    assert v["hhi_12m"] == Decimal("10000.00")  # 10,000 × 1²
    # 1 November … 15 February: three whole months (the fourth ends on 28 February)
    assert v["months_of_history"] == 3


def test_months_of_history_count_whole_months_from_the_first_succeeded_captured_charge(
    engine: Engine,
) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_failed", at(2023, 5, 1), 1_000, "cus_a", status="failed"),
            charge("ch_uncaptured", at(2023, 6, 1), 1_000, "cus_a", captured=False),
            charge("ch_first", at(2024, 3, 31, 23, 59, 59), 1_000, "cus_a"),
            charge("ch_later", at(2025, 7, 1), 1_000, "cus_a"),
        )
    )
    m = compute(engine, ledger)
    # 31 March 2024 … 15 February 2026: the months to the day after D, (2026 × 12 + 2) −
    # (2024 × 12 + 3) = 24,314 − 24,291 = 23, less one as 16 (February) < 31 (March): 22 whole
    # months (calendar months touched would say 24)
    assert m.values["months_of_history"] == 22
    assert "months_of_history" not in m.notes
    # the 12 months ending at D start on 16 February 2025: only ch_later is in them
    assert m.values["gross_volume_12m"] == 1_000


def test_data_through_is_the_latest_record_up_to_the_end_of_d(engine: Engine) -> None:
    ledger = Ledger(
        charges=(
            charge("ch_1", at(2026, 2, 10), 1_000, "cus_a"),
            charge("ch_after", at(2026, 2, 16), 1_000, "cus_a"),  # after D
        ),
        payouts=(PayoutRecord("po_1", at(2026, 2, 20), "paid", created=at(2026, 2, 14)),),
        other_times=(at(2026, 2, 15, 23, 59, 59),),  # e.g. a customer created at the last second
    )
    v = compute(engine, ledger).values
    assert v["data_through"] == "2026-02-15T23:59:59Z"
    assert v["gross_volume_month"] == 1_000  # ch_after is not in February's first 15 days
    # the day before: the latest is the payout created on the 14th
    assert compute(engine, ledger, date(2026, 2, 14)).values["data_through"] == (
        "2026-02-14T00:00:00Z"
    )


def test_last_synced_at_is_the_latest_webhook_or_completed_import_before_the_end_of_d(
    engine: Engine,
) -> None:
    # A quiet business: its last sale is on 1 February, but Stripe was heard from since —
    # syncs alternate a webhook received (even positions) and an import completed (odd).
    ledger = Ledger(
        charges=(charge("ch_1", at(2026, 2, 1), 1_000, "cus_a"),),
        syncs=(
            at(2026, 2, 14, 6),  # a webhook received
            at(2026, 2, 15, 21),  # a backfill completed (a failed run the next day ignored)
            at(2026, 2, 16, 1),  # a webhook after D
        ),
    )
    v = compute(engine, ledger).values
    assert v["data_through"] == "2026-02-01T00:00:00Z"  # the latest object: the sale
    assert v["last_synced_at"] == "2026-02-15T21:00:00Z"  # heard from 14 days later
    # as of the 14th: the webhook at 06:00 that day
    assert compute(engine, ledger, date(2026, 2, 14)).values["last_synced_at"] == (
        "2026-02-14T06:00:00Z"
    )


def test_last_synced_at_is_never_before_the_latest_object_seen(engine: Engine) -> None:
    # The webhook receipts of long ago are gone (raw events are kept 90 days), yet a charge
    # created on 10 February proves Stripe was heard from after it: the later of the two counts.
    ledger = Ledger(
        charges=(charge("ch_1", at(2026, 2, 10, 9), 1_000, "cus_a"),),
        syncs=(at(2026, 1, 2),),
    )
    m = compute(engine, ledger)
    assert m.values["last_synced_at"] == "2026-02-10T09:00:00Z"
    assert "last_synced_at" not in m.notes


def test_the_90_day_counts_behind_the_90_day_dispute_ratio(engine: Engine) -> None:
    # Three sales in the 90 days ending 15 February (from 18 November), one before them; one
    # dispute in the 90 days, on a sale of December, and one inquiry, which is not a dispute.
    ledger = Ledger(
        charges=(
            charge("ch_old", at(2025, 11, 1), 1_000, "cus_a"),  # 106 days before D
            charge("ch_1", at(2025, 12, 1), 1_000, "cus_a"),
            charge("ch_2", at(2026, 1, 5), 1_000, "cus_b"),
            charge("ch_3", at(2026, 2, 3), 1_000, "cus_c"),
        ),
        disputes=(
            DisputeRecord("dp_1", at(2026, 1, 20), 1_000, "usd"),
            DisputeRecord("dp_2", at(2026, 2, 1), 1_000, "usd", status="warning_needs_response"),
        ),
    )
    v = compute(engine, ledger).values
    assert (v["charges_count_90d"], v["disputes_count_90d"]) == (3, 1)
    assert v["dispute_activity_ratio_90d"] == Decimal("0.333333")  # 1 / 3


def test_year_on_year_growth_compares_the_last_three_complete_months_with_the_same_a_year_earlier(
    engine: Engine,
) -> None:
    # As of 15 February 2026 the last three complete months are November 2025 … January 2026;
    # a year earlier, November 2024 … January 2025 (the same season).
    ledger = Ledger(
        charges=(
            charge("ch_first", at(2024, 10, 20), 1_000, "cus_a"),  # before the base: a whole year
            charge("ch_b1", at(2024, 11, 10), 10_000, "cus_a"),
            charge("ch_b2", at(2024, 12, 10), 10_000, "cus_a"),
            charge("ch_b3", at(2025, 1, 10), 10_000, "cus_a"),
            charge("ch_out", at(2025, 2, 3), 50_000, "cus_b"),  # in neither quarter
            charge("ch_q1", at(2025, 11, 10), 12_000, "cus_a"),
            charge("ch_q2", at(2025, 12, 10), 15_000, "cus_a"),
            charge("ch_q3", at(2026, 1, 10), 9_000, "cus_a"),
            charge("ch_now", at(2026, 2, 3), 5_000, "cus_a"),  # D's month: not complete
        )
    )
    v = compute(engine, ledger).values
    assert v["gross_volume_3m"] == 36_000  # 12,000 + 15,000 + 9,000
    assert v["gross_volume_3m_year_earlier"] == 30_000  # 3 × 10,000
    assert v["revenue_growth_yoy"] == Decimal("0.200000")  # 36,000 / 30,000 − 1
    # (36,000 / 30,000)^(1/12) − 1 = exp(ln 1.2 / 12) − 1 = exp(0.0151934…) − 1 = 0.0153094…
    assert v["cmgr_yoy"] == Decimal("0.015309")


def test_year_on_year_growth_needs_sales_before_the_year_earlier_quarter(engine: Engine) -> None:
    # The first sale is inside the base quarter (10 November 2024): that quarter is not a whole
    # one of the business's, so there is no year to compare.
    ledger = Ledger(
        charges=(
            charge("ch_b1", at(2024, 11, 10), 10_000, "cus_a"),
            charge("ch_q1", at(2025, 11, 10), 12_000, "cus_a"),
        )
    )
    m = compute(engine, ledger)
    assert m.values["gross_volume_3m_year_earlier"] == 10_000
    assert m.values["revenue_growth_yoy"] is None and m.values["cmgr_yoy"] is None
    assert "no sales before the same three months a year earlier" in m.notes["cmgr_yoy"]


def test_repeat_buyers_of_the_12_months(engine: Engine) -> None:
    # The 12 months ending 15 February 2026 start on 16 February 2025. cus_a buys three times,
    # cus_b twice (once before the window: one purchase in it), cus_c once, cus_d twice — once in
    # EUR without a settled amount, which still is a purchase but adds no volume; a guest charge
    # (no customer) is in the volume but nobody's purchase.
    ledger = Ledger(
        charges=(
            charge("ch_a1", at(2025, 3, 1), 1_000, "cus_a"),
            charge("ch_a2", at(2025, 8, 1), 2_000, "cus_a"),
            charge("ch_a3", at(2026, 2, 1), 3_000, "cus_a"),
            charge("ch_b0", at(2025, 1, 5), 9_000, "cus_b"),  # before the 12 months
            charge("ch_b1", at(2025, 9, 1), 4_000, "cus_b"),
            charge("ch_c1", at(2025, 10, 1), 5_000, "cus_c"),
            charge("ch_d1", at(2025, 11, 1), 2_000, "cus_d"),
            charge("ch_d2", at(2025, 12, 1), 1_500, "cus_d", currency="eur"),
            charge("ch_guest", at(2025, 12, 2), 3_000),
        )
    )
    m = compute(engine, ledger)
    v = m.values
    # buyers a, b, c, d; twice or more: a (3) and d (2)
    assert v["repeat_customers_12m"] == 2
    assert v["repeat_purchase_rate_12m"] == Decimal("0.500000")  # 2 / 4
    # volume: 1,000 + 2,000 + 3,000 + 4,000 + 5,000 + 2,000 + 3,000 = 20,000 (the EUR charge has
    # no settled amount); repeat buyers' volume: a 6,000 + d 2,000 = 8,000 → 8,000 / 20,000
    assert v["gross_volume_12m"] == 20_000
    assert v["repeat_customer_revenue_share_12m"] == Decimal("0.400000")
