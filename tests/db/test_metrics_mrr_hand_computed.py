"""MRR metrics of small hand-written subscription histories, computed by the real engine.

A subscription state contributes while `active` or `past_due`; its items are normalized to a month
and rounded half up per subscription; movements are classified per customer change (ChartMogul)
and reconcile with the change in MRR since the end of the previous month. As of D = 2026-02-15
unless a test says otherwise; the arithmetic is in the comments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine
from vaultra.domain.metrics.formulas import MetricSet, MetricValue
from vaultra.domain.metrics.records import InvoiceLineRecord, Ledger, StateRecord
from vaultra.domain.mrr import Discount, Item

from tests.db.test_metrics_hand_computed import D, at, compute, monthly, state


def mrr_metrics(
    engine: Engine,
    *states: StateRecord,
    as_of: date = D,
    lines: tuple[InvoiceLineRecord, ...] = (),
) -> MetricSet:
    return compute(engine, Ledger(states=states, invoice_lines=lines), as_of)


def metered(item_id: str) -> Item:
    """A metered item (5 a unit of usage, reported, no quantity)."""
    return Item(5, None, "month", 1, "metered", item_id=item_id)


def usage_line(
    line_id: str,
    subscription: str,
    item_id: str,
    amount: int,
    start: datetime,
    end: datetime,
    interval: str = "month",
    **kw: object,
) -> InvoiceLineRecord:
    """A line billing `item_id` for the period [start, end), on an invoice created at its end."""
    return InvoiceLineRecord(
        line_id,
        subscription,
        item_id,
        amount,
        end,
        start,
        end,
        interval,
        1,
        **kw,  # type: ignore[arg-type]
    )


def assert_reconciles(v: dict[str, MetricValue]) -> None:
    """mrr(D) − mrr(end of previous month) = new + expansion + reactivation − contraction − churn."""
    assert v["mrr"] - v["mrr_previous_month_end"] == (
        v["mrr_new"] + v["mrr_expansion"] + v["mrr_reactivation"]
        - v["mrr_contraction"] - v["mrr_churn"]
    )  # fmt: skip


def test_monthly_yearly_weekly_and_daily_plans_are_normalized_to_a_month(engine: Engine) -> None:
    since = at(2025, 11, 1)
    m = mrr_metrics(
        engine,
        state("sub_a", "cus_a", since, monthly(2_900, 3)),  # 2,900 × 3 = 8,700
        state("sub_b", "cus_b", since, Item(99_000, 1, "year", 1)),  # 99,000 / 12 = 8,250
        # 1,000 × 52 / 12 = 4,333.33… → 4,333
        state("sub_c", "cus_c", since, Item(1_000, 1, "week", 1)),
        state("sub_d", "cus_d", since, Item(30_000, 1, "month", 3)),  # 30,000 / 3 = 10,000
        # every 2 weeks: 1,000 × 52 / 12 / 2 = 2,166.66… → 2,167
        state("sub_e", "cus_e", since, Item(1_000, 1, "week", 2)),
        state(
            "sub_f", "cus_f", since, Item(100, 1, "day", 1)
        ),  # 100 × 365 / 12 = 3,041.66… → 3,042
        # every 2 years: 48,000 / 24 = 2,000
        state("sub_g", "cus_g", since, Item(48_000, 1, "year", 2)),
    )
    v = m.values
    # 8,700 + 8,250 + 4,333 + 10,000 + 2,167 + 3,042 + 2,000 = 38,492
    assert v["mrr"] == 38_492
    assert v["arr"] == 461_904  # 38,492 × 12
    assert v["paying_customers"] == 7
    assert v["arpa"] == 5_499  # 38,492 / 7 = 5,498.857… → 5,499
    assert v["mrr_by_currency"] == {"usd": 38_492}
    # unchanged since November: no movement, flat month
    assert v["mrr_previous_month_end"] == 38_492
    assert (v["mrr_new"], v["mrr_expansion"], v["mrr_contraction"]) == (0, 0, 0)
    assert (v["mrr_churn"], v["mrr_reactivation"]) == (0, 0)
    assert v["mrr_growth_mom"] == Decimal("0.000000")  # 0 / 38,492
    assert v["gross_mrr_churn_rate"] == Decimal("0.000000")
    assert v["net_mrr_churn_rate"] == Decimal("0.000000")
    assert v["customer_churn_rate"] == Decimal("0.000000")  # 0 / 7
    assert v["quick_ratio"] is None  # 0 / 0
    assert "mrr" not in m.notes


def test_rounding_is_per_subscription_before_a_customers_mrr_is_summed(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        # two subscriptions of 1,002 a year: 83.5 → 84 each, 168 together (not 2,004 / 12 → 167)
        state("sub_a1", "cus_a", at(2025, 12, 1), Item(1_002, 1, "year", 1)),
        state("sub_a2", "cus_a", at(2025, 12, 1), Item(1_002, 1, "year", 1)),
        # one subscription with two items of 1,001 a year: 2,002 / 12 = 166.83… → 167 (not 83 + 83)
        state("sub_b", "cus_b", at(2025, 12, 1), *[Item(1_001, 1, "year", 1)] * 2),
    )
    v = m.values
    assert v["mrr"] == 335  # 168 + 167
    assert v["paying_customers"] == 2
    assert v["arpa"] == 168  # 335 / 2 = 167.5 → 168, half up


def test_quantity_changes_are_expansion_and_contraction_per_change(engine: Engine) -> None:
    since = at(2025, 12, 10)
    m = mrr_metrics(
        engine,
        # 2 seats × 1,000 → 5 seats on Feb 10: expansion 3,000
        state("sub_a", "cus_a", since, monthly(1_000, 2)),
        state("sub_a", "cus_a", at(2026, 2, 10), monthly(1_000, 5)),
        # 4 seats × 2,500 = 10,000 → 3 seats on Feb 5: contraction 2,500
        state("sub_b", "cus_b", since, monthly(2_500, 4)),
        state("sub_b", "cus_b", at(2026, 2, 5), monthly(2_500, 3)),
        # 3 × 1,000 → 5 on Feb 3 (expansion 2,000) → 4 on Feb 12 (contraction 1,000): both count
        state("sub_c", "cus_c", since, monthly(1_000, 3)),
        state("sub_c", "cus_c", at(2026, 2, 3), monthly(1_000, 5)),
        state("sub_c", "cus_c", at(2026, 2, 12), monthly(1_000, 4)),
    )
    v = m.values
    assert v["mrr_previous_month_end"] == 15_000  # 2,000 + 10,000 + 3,000
    assert v["mrr"] == 16_500  # 5,000 + 7,500 + 4,000
    assert v["mrr_expansion"] == 5_000  # 3,000 + 2,000
    assert v["mrr_contraction"] == 3_500  # 2,500 + 1,000
    assert (v["mrr_new"], v["mrr_churn"], v["mrr_reactivation"]) == (0, 0, 0)
    assert_reconciles(v)  # 16,500 − 15,000 = 5,000 − 3,500
    assert v["mrr_growth_mom"] == Decimal("0.100000")  # 1,500 / 15,000
    assert v["gross_mrr_churn_rate"] == Decimal("0.233333")  # 3,500 / 15,000 = 0.2333…
    # (0 + 3,500 − 5,000 − 0) / 15,000 = −1,500 / 15,000
    assert v["net_mrr_churn_rate"] == Decimal("-0.100000")
    assert v["quick_ratio"] == Decimal("1.428571")  # 5,000 / 3,500 = 1.4285714…
    assert v["customers_churned_month"] == 0
    assert v["customer_churn_rate"] == Decimal("0.000000")  # 0 / 3


def test_a_trial_counts_as_new_mrr_when_it_converts(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        # trial from Jan 20 (its items carry the future price), paying from Feb 3: new 5,000
        state("sub_a", "cus_a", at(2026, 1, 20), monthly(5_000), status="trialing"),
        state("sub_a", "cus_a", at(2026, 2, 3), monthly(5_000)),
        # still trialing at D: nothing
        state("sub_b", "cus_b", at(2026, 2, 10), monthly(9_900), status="trialing"),
        # a trial that ends without paying: no MRR before, so no churn either
        state("sub_c", "cus_c", at(2026, 1, 5), monthly(2_000), status="trialing"),
        state("sub_c", "cus_c", at(2026, 2, 4), monthly(2_000), status="canceled"),
    )
    v = m.values
    assert v["mrr"] == 5_000
    assert v["mrr_new"] == 5_000
    assert (v["mrr_churn"], v["mrr_reactivation"], v["mrr_expansion"]) == (0, 0, 0)
    assert v["paying_customers"] == 1
    assert v["mrr_previous_month_end"] == 0  # trials pay nothing
    assert_reconciles(v)
    assert v["mrr_growth_mom"] is None
    assert m.notes["mrr_growth_mom"] == "no MRR at the end of the previous month"
    assert v["customer_churn_rate"] is None
    assert v["customers_churned_month"] == 0


def test_a_cancellation_at_period_end_stops_mrr_at_ended_at_not_canceled_at(
    engine: Engine,
) -> None:
    # 3,000 a month since December; canceled on Feb 5 to end with the period: still active
    # until ended_at = Mar 1 00:00, where the `canceled` state starts.
    states = (
        state("sub_a", "cus_a", at(2025, 12, 1), monthly(3_000)),
        state("sub_a", "cus_a", at(2026, 2, 5, 14, 30), monthly(3_000)),  # canceled_at
        state("sub_a", "cus_a", at(2026, 3, 1), monthly(3_000), status="canceled"),  # ended_at
    )
    at_d = mrr_metrics(engine, *states).values
    assert at_d["mrr"] == 3_000
    assert at_d["mrr_churn"] == 0
    assert at_d["customers_churned_month"] == 0
    last_day = mrr_metrics(engine, *states, as_of=date(2026, 2, 28)).values
    assert last_day["mrr"] == 3_000  # paying through the last second of February
    assert last_day["mrr_churn"] == 0
    march = mrr_metrics(engine, *states, as_of=date(2026, 3, 1)).values
    assert march["mrr"] == 0
    assert march["mrr_previous_month_end"] == 3_000
    assert march["mrr_churn"] == 3_000  # churn in March, not February
    assert march["customers_churned_month"] == 1
    assert march["customer_churn_rate"] == Decimal("1.000000")  # 1 / 1
    assert march["gross_mrr_churn_rate"] == Decimal("1.000000")  # 3,000 / 3,000
    assert march["arpa"] is None
    assert_reconciles(march)


def test_a_former_customer_paying_again_is_reactivation_not_new(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        # cus_a paid 4,000 from June to November, comes back on Feb 12 with 4,500
        state("sub_a1", "cus_a", at(2025, 6, 1), monthly(4_000)),
        state("sub_a1", "cus_a", at(2025, 11, 1), monthly(4_000), status="canceled"),
        state("sub_a2", "cus_a", at(2026, 2, 12), monthly(4_500)),
        # cus_b subscribes for the first time the same day: new
        state("sub_b", "cus_b", at(2026, 2, 12), monthly(4_500)),
    )
    v = m.values
    assert v["mrr_reactivation"] == 4_500
    assert v["mrr_new"] == 4_500
    assert v["mrr"] == 9_000  # 4,500 + 4,500
    assert v["paying_customers"] == 2
    assert_reconciles(v)  # 9,000 − 0 = 4,500 + 4,500


def test_churn_and_return_within_the_month_are_two_movements_and_no_churned_customer(
    engine: Engine,
) -> None:
    m = mrr_metrics(
        engine,
        # 3,000 since December, canceled Feb 3, a new subscription of 3,500 on Feb 10
        state("sub_1", "cus_a", at(2025, 12, 1), monthly(3_000)),
        state("sub_1", "cus_a", at(2026, 2, 3), monthly(3_000), status="canceled"),
        state("sub_2", "cus_a", at(2026, 2, 10), monthly(3_500)),
    )
    v = m.values
    assert v["mrr_churn"] == 3_000
    assert v["mrr_reactivation"] == 3_500
    assert v["mrr_expansion"] == 0  # per change, not netted into +500
    assert v["mrr"] == 3_500
    assert_reconciles(v)  # 3,500 − 3,000 = 3,500 − 3,000
    assert v["customers_churned_month"] == 0  # paying at both ends of the month
    assert v["customer_churn_rate"] == Decimal("0.000000")  # 0 / 1
    assert v["gross_mrr_churn_rate"] == Decimal("1.000000")  # 3,000 / 3,000
    assert v["net_mrr_churn_rate"] == Decimal("-0.166667")  # (3,000 − 3,500) / 3,000 = −0.1666…
    assert v["quick_ratio"] == Decimal("1.166667")  # 3,500 / 3,000 = 1.1666…


def test_movements_are_per_customer_across_subscriptions(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        # cus_a swaps a 5,000 subscription for a 7,000 one at the same instant: expansion 2,000
        state("sub_a1", "cus_a", at(2025, 12, 1), monthly(5_000)),
        state("sub_a1", "cus_a", at(2026, 2, 10), monthly(5_000), status="canceled"),
        state("sub_a2", "cus_a", at(2026, 2, 10), monthly(7_000)),
        # cus_b adds a second subscription of 1,000 next to 2,000: expansion 1,000
        state("sub_b1", "cus_b", at(2025, 12, 1), monthly(2_000)),
        state("sub_b2", "cus_b", at(2026, 2, 6), monthly(1_000)),
    )
    v = m.values
    assert v["mrr_expansion"] == 3_000  # 2,000 + 1,000
    assert (v["mrr_new"], v["mrr_churn"], v["mrr_reactivation"]) == (0, 0, 0)
    assert v["mrr"] == 10_000  # 7,000 + 2,000 + 1,000
    assert v["paying_customers"] == 2
    assert_reconciles(v)  # 10,000 − 7,000 = 3,000


def test_forever_coupons_reduce_mrr_and_once_or_repeating_coupons_do_not(engine: Engine) -> None:
    since = at(2025, 12, 1)
    forever_25, forever_20 = Discount("forever", Decimal(25)), Discount("forever", Decimal(20))
    once_50, repeating_50 = Discount("once", Decimal(50)), Discount("repeating", Decimal(50))
    m = mrr_metrics(
        engine,
        state("sub_a", "cus_a", since, monthly(10_000), discount=forever_25),  # × 0.75 = 7,500
        state("sub_b", "cus_b", since, monthly(10_000), discount=once_50),  # 10,000
        state("sub_c", "cus_c", since, monthly(10_000), discount=repeating_50),  # 10,000
        # 12,000 off a 120,000 yearly bill, per billing period: (120,000 − 12,000) / 12 = 9,000
        state("sub_d", "cus_d", since, Item(120_000, 1, "year", 1),
              discount=Discount("forever", amount_off=12_000)),
        # 1,000 off each monthly invoice of 3 × 2,900: 8,700 − 1,000 = 7,700
        state("sub_e", "cus_e", since, monthly(2_900, 3),
              discount=Discount("forever", amount_off=1_000)),
        # 10,000 a month, a forever 20 % coupon from Feb 7: 8,000, a contraction of 2,000
        state("sub_f", "cus_f", since, monthly(10_000)),
        state("sub_f", "cus_f", at(2026, 2, 7), monthly(10_000), discount=forever_20),
        # 10,000 a month, a once 50 % coupon from Feb 8: no movement
        state("sub_g", "cus_g", since, monthly(10_000)),
        state("sub_g", "cus_g", at(2026, 2, 8), monthly(10_000), discount=once_50),
    )  # fmt: skip
    v = m.values
    # 7,500 + 10,000 + 10,000 + 9,000 + 7,700 + 8,000 + 10,000 = 62,200
    assert v["mrr"] == 62_200
    assert v["mrr_previous_month_end"] == 64_200  # the same with 10,000 for cus_f
    assert v["mrr_contraction"] == 2_000
    assert v["mrr_expansion"] == 0
    assert_reconciles(v)


def test_only_active_and_past_due_states_count_and_metered_items_do_not(engine: Engine) -> None:
    since = at(2025, 12, 1)
    m = mrr_metrics(
        engine,
        # past_due still counts; its metered item does not
        state(
            "sub_a",
            "cus_a",
            since,
            monthly(2_000),
            Item(5, None, "month", 1, "metered"),
            status="past_due",
        ),
        state("sub_b", "cus_b", since, monthly(3_000), status="unpaid"),
        state("sub_c", "cus_c", since, monthly(3_000), status="paused"),
        state("sub_d", "cus_d", since, monthly(3_000), status="incomplete"),
        # active since December, unpaid from Feb 8: churn 4,000
        state("sub_e", "cus_e", since, monthly(4_000)),
        state("sub_e", "cus_e", at(2026, 2, 8), monthly(4_000), status="unpaid"),
    )
    v = m.values
    assert v["mrr"] == 2_000
    assert v["paying_customers"] == 1
    assert v["mrr_previous_month_end"] == 6_000  # 2,000 + 4,000
    assert v["mrr_churn"] == 4_000
    assert v["customers_churned_month"] == 1
    assert v["customer_churn_rate"] == Decimal("0.500000")  # 1 / 2
    assert_reconciles(v)


def test_every_movement_of_a_month_reconciles_with_the_change_in_mrr(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        # new: 5,000 from Feb 3
        state("sub_new", "cus_new", at(2026, 2, 3), monthly(5_000)),
        # expansion: 2 × 1,000 from Dec 10, 5 seats from Feb 10 (+3,000)
        state("sub_exp", "cus_exp", at(2025, 12, 10), monthly(1_000, 2)),
        state("sub_exp", "cus_exp", at(2026, 2, 10), monthly(1_000, 5)),
        # contraction: 4 × 2,500 from Dec 10, 3 seats from Feb 5 (−2,500)
        state("sub_con", "cus_con", at(2025, 12, 10), monthly(2_500, 4)),
        state("sub_con", "cus_con", at(2026, 2, 5), monthly(2_500, 3)),
        # churn: 7,000 from Nov 1, canceled Feb 8 (−7,000)
        state("sub_churn", "cus_churn", at(2025, 11, 1), monthly(7_000)),
        state("sub_churn", "cus_churn", at(2026, 2, 8), monthly(7_000), status="canceled"),
        # reactivation: 4,000 from Oct 1, canceled Dec 1 00:00, back with 4,500 on Feb 12
        state("sub_r1", "cus_react", at(2025, 10, 1), monthly(4_000)),
        state("sub_r1", "cus_react", at(2025, 12, 1), monthly(4_000), status="canceled"),
        state("sub_r2", "cus_react", at(2026, 2, 12), monthly(4_500)),
    )
    v = m.values
    assert v["mrr_previous_month_end"] == 19_000  # exp 2,000 + con 10,000 + churn 7,000
    assert v["mrr"] == 22_000  # new 5,000 + exp 5,000 + con 7,500 + react 4,500
    assert v["arr"] == 264_000
    assert v["mrr_new"] == 5_000
    assert v["mrr_expansion"] == 3_000
    assert v["mrr_contraction"] == 2_500
    assert v["mrr_churn"] == 7_000
    assert v["mrr_reactivation"] == 4_500
    assert_reconciles(v)  # 22,000 − 19,000 = 5,000 + 3,000 + 4,500 − 2,500 − 7,000 = 3,000
    assert v["paying_customers"] == 4
    assert v["arpa"] == 5_500  # 22,000 / 4
    assert v["mrr_growth_mom"] == Decimal("0.157895")  # 3,000 / 19,000 = 0.1578947…
    assert v["customers_churned_month"] == 1  # cus_churn, of 3 paying at the end of January
    assert v["customer_churn_rate"] == Decimal("0.333333")  # 1 / 3
    assert v["gross_mrr_churn_rate"] == Decimal("0.500000")  # (7,000 + 2,500) / 19,000
    # (7,000 + 2,500 − 3,000 − 4,500) / 19,000 = 2,000 / 19,000 = 0.1052631…
    assert v["net_mrr_churn_rate"] == Decimal("0.105263")
    # (5,000 + 3,000 + 4,500) / (7,000 + 2,500) = 12,500 / 9,500 = 1.3157894…
    assert v["quick_ratio"] == Decimal("1.315789")
    # the three complete months before February: paying at Nov 1 00:00 — cus_react only (cus_churn
    # starts at that instant) — still paying at Dec 1: 0 of 1; at Dec 1 00:00 — cus_react (its
    # cancellation starts at that instant) and cus_churn — cus_react pays nothing at Jan 1: 1 of
    # 2; at Jan 1: exp, con, churn, none gone by Feb 1: 0 of 3. February's churn (cus_churn) waits
    # for February to be over.
    assert v["customer_churn_rate_3m"] == Decimal("0.166667")  # (0 + 1 + 0) / (1 + 2 + 3)
    assert v["ltv"] == 33_000  # ARPA 5,500 / (1 / 6)


def test_nrr_and_grr_follow_the_customers_paying_twelve_months_earlier(engine: Engine) -> None:
    # The base instant is the end of 2025-02-15.
    m = mrr_metrics(
        engine,
        # in the base with 10,000, expanded to 15,000 in June
        state("sub_a", "cus_a", at(2025, 1, 10), monthly(10_000)),
        state("sub_a", "cus_a", at(2025, 6, 1), monthly(15_000)),
        # in the base with 5,000, down to 3,000 in September
        state("sub_b", "cus_b", at(2025, 1, 10), monthly(5_000)),
        state("sub_b", "cus_b", at(2025, 9, 1), monthly(3_000)),
        # in the base with 5,000, churned in October
        state("sub_c", "cus_c", at(2025, 1, 10), monthly(5_000)),
        state("sub_c", "cus_c", at(2025, 10, 1), monthly(5_000), status="canceled"),
        # started at the last second of 2025-02-15: in the base, 1,000 then and now
        state("sub_f", "cus_f", at(2025, 2, 15, 23, 59, 59), monthly(1_000)),
        # started 2025-02-16 00:00 and in March: not in the base
        state("sub_e", "cus_e", at(2025, 2, 16), monthly(2_000)),
        state("sub_d", "cus_d", at(2025, 3, 1), monthly(8_000)),
    )
    v = m.values
    assert v["mrr"] == 29_000  # 15,000 + 3,000 + 1,000 + 2,000 + 8,000
    # base 10,000 + 5,000 + 5,000 + 1,000 = 21,000; now 15,000 + 3,000 + 0 + 1,000 = 19,000
    assert v["nrr_12m"] == Decimal("0.904762")  # 19,000 / 21,000 = 0.9047619…
    # capped at the base: 10,000 + 3,000 + 0 + 1,000 = 14,000
    assert v["grr_12m"] == Decimal("0.666667")  # 14,000 / 21,000 = 0.6666…


def test_twelve_months_before_a_month_end_is_that_months_end_including_feb_29(
    engine: Engine,
) -> None:
    # As of 2025-02-28 (a month end), twelve months earlier is 2024-02-29, the month end.
    m = mrr_metrics(
        engine,
        state("sub_a", "cus_a", at(2024, 1, 1), monthly(6_000)),
        # started on Feb 29 at noon: in the base with 4,000; expanded to 5,000
        state("sub_leap", "cus_leap", at(2024, 2, 29, 12), monthly(4_000)),
        state("sub_leap", "cus_leap", at(2024, 6, 1), monthly(5_000)),
        # started 2024-03-01 00:00: not in the base
        state("sub_march", "cus_march", at(2024, 3, 1), monthly(3_000)),
        as_of=date(2025, 2, 28),
    )
    # base 6,000 + 4,000 = 10,000; now 6,000 + 5,000 = 11,000 (with Feb 28 as the base day it
    # would be 6,000 / 6,000)
    assert m.values["nrr_12m"] == Decimal("1.100000")
    assert m.values["grr_12m"] == Decimal("1.000000")  # (6,000 + 4,000) / 10,000
    # As of 2024-02-29, twelve months earlier is 2023-02-28, the month end.
    leap = mrr_metrics(
        engine,
        state("sub_x", "cus_x", at(2023, 2, 28, 18), monthly(2_000)),
        state("sub_x", "cus_x", at(2023, 9, 1), monthly(3_000)),
        state("sub_y", "cus_y", at(2023, 3, 1), monthly(9_000)),  # after the base instant
        as_of=date(2024, 2, 29),
    )
    assert leap.values["nrr_12m"] == Decimal("1.500000")  # 3,000 / 2,000
    assert leap.values["grr_12m"] == Decimal("1.000000")  # min(3,000, 2,000) / 2,000


def test_subscriptions_in_another_currency_are_left_out_of_mrr_with_a_note(
    engine: Engine,
) -> None:
    since = at(2025, 12, 1)
    m = mrr_metrics(
        engine,
        state("sub_a", "cus_a", since, monthly(3_000), currency="usd"),
        state("sub_b", "cus_b", since, monthly(5_000), currency="eur"),
        state("sub_c", "cus_c", since, monthly(1_000)),  # no currency: the account's
    )
    v = m.values
    assert v["mrr"] == 4_000  # 3,000 + 1,000
    assert v["paying_customers"] == 2
    assert v["mrr_by_currency"] == {"eur": 5_000, "usd": 4_000}
    assert m.notes["mrr"].startswith("subscriptions billed in EUR are not in mrr")


def test_metered_usage_counts_what_was_last_billed_and_its_changes_are_movements(
    engine: Engine,
) -> None:
    since = at(2025, 12, 1)
    m = mrr_metrics(
        engine,
        # 2,000 a month licensed and metered API usage, billed monthly in arrears
        state("sub_m", "cus_m", since, monthly(2_000), metered("si_m")),
        # metered usage only
        state("sub_c", "cus_c", since, metered("si_c")),
        lines=(
            # cus_m: December's usage billed 12,000 (from Jan 1), January's 15,000 (from Feb 1)
            usage_line("il_m_dec", "sub_m", "si_m", 12_000, since, at(2026, 1, 1)),
            usage_line("il_m_jan", "sub_m", "si_m", 15_000, at(2026, 1, 1), at(2026, 2, 1)),
            # ignored: a proration of the same item ending Feb 10, a draft invoice's line for
            # February so far, a voided invoice's line
            usage_line("il_m_pro", "sub_m", "si_m", 99_999, at(2026, 2, 1), at(2026, 2, 10),
                       proration=True),
            usage_line("il_m_draft", "sub_m", "si_m", 50_000, at(2026, 1, 12), at(2026, 2, 12),
                       invoice_status="draft"),
            usage_line("il_m_void", "sub_m", "si_m", 70_000, at(2026, 1, 13), at(2026, 2, 13),
                       invoice_status="void"),
            # cus_c: 8,000 for December, 5,000 for January
            usage_line("il_c_dec", "sub_c", "si_c", 8_000, since, at(2026, 1, 1)),
            usage_line("il_c_jan", "sub_c", "si_c", 5_000, at(2026, 1, 1), at(2026, 2, 1)),
        ),
    )  # fmt: skip
    v = m.values
    assert v["mrr"] == 22_000  # cus_m 2,000 + 15,000; cus_c 5,000
    assert v["mrr_previous_month_end"] == 22_000  # cus_m 2,000 + 12,000; cus_c 8,000
    assert v["mrr_expansion"] == 3_000  # cus_m 14,000 → 17,000 on Feb 1
    assert v["mrr_contraction"] == 3_000  # cus_c 8,000 → 5,000 on Feb 1
    assert (v["mrr_new"], v["mrr_churn"], v["mrr_reactivation"]) == (0, 0, 0)
    assert_reconciles(v)  # 22,000 − 22,000 = 3,000 − 3,000
    # 30 days before (end of Jan 16): December's bills, 2,000 + 12,000 + 8,000 = 22,000
    assert v["mrr_30_days_before"] == 22_000
    assert v["paying_customers"] == 2
    assert "mrr" not in m.notes
    # As of Dec 31: December's usage is billed at Jan 1 00:00, after the end of D: only 2,000
    assert (
        mrr_metrics(
            engine,
            state("sub_m", "cus_m", since, monthly(2_000), metered("si_m")),
            lines=(usage_line("il_m_dec", "sub_m", "si_m", 12_000, since, at(2026, 1, 1)),),
            as_of=date(2025, 12, 31),
        ).values["mrr"]
        == 2_000
    )


def test_a_tiered_yearly_item_counts_its_last_yearly_bill_over_twelve(engine: Engine) -> None:
    tiered = Item(None, 40, "year", 1, item_id="si_t")
    m = mrr_metrics(
        engine,
        # a tiered yearly price since January 2025, its first year billed 100,000
        state("sub_t", "cus_t", at(2025, 1, 1), tiered),
        # a tiered price never billed yet: unknown, 0, with a note
        state("sub_u", "cus_u", at(2026, 1, 20), Item(None, 3, "month", 1, item_id="si_u")),
        lines=(usage_line("il_t", "sub_t", "si_t", 100_000, at(2025, 1, 1), at(2026, 1, 1),
                          "year", unit_amount=None, usage_type="licensed"),),
    )  # fmt: skip
    v = m.values
    assert v["mrr"] == 8_333  # 100,000 / 12 = 8,333.33… → 8,333
    assert v["arr"] == 99_996  # 8,333 × 12
    assert v["mrr_previous_month_end"] == 8_333  # billed from the end of its year, Jan 1 2026
    assert v["paying_customers"] == 1
    assert m.notes["mrr"] == (
        "1 subscription(s) have items without a unit price (tiered pricing) and no recent "
        "invoice line for them, counted as 0"
    )


def test_a_bill_older_than_two_of_its_periods_counts_0(engine: Engine) -> None:
    m = mrr_metrics(
        engine,
        state("sub_s", "cus_s", at(2025, 10, 10), metered("si_s")),
        state("sub_k", "cus_k", at(2025, 10, 10), metered("si_k")),
        lines=(
            # 30 days to Dec 10, billed 9,000: stale 60 days later, at Feb 8 00:00 — nothing
            # billed since: churn in February
            usage_line("il_s", "sub_s", "si_s", 9_000, at(2025, 11, 10), at(2025, 12, 10)),
            # 31 days to Jan 10, billed 4,000: recent until Jan 10 + 62 days = Mar 13
            usage_line("il_k", "sub_k", "si_k", 4_000, at(2025, 12, 10), at(2026, 1, 10)),
        ),
    )
    v = m.values
    assert v["mrr_previous_month_end"] == 13_000  # 9,000 + 4,000
    assert v["mrr"] == 4_000  # cus_s's bill went stale on Feb 8
    assert v["mrr_churn"] == 9_000
    assert v["customers_churned_month"] == 1
    assert_reconciles(v)  # 4,000 − 13,000 = −9,000
    march = mrr_metrics(
        engine,
        state("sub_k", "cus_k", at(2025, 10, 10), metered("si_k")),
        lines=(usage_line("il_k", "sub_k", "si_k", 4_000, at(2025, 12, 10), at(2026, 1, 10)),),
        as_of=date(2026, 3, 12),
    ).values
    assert march["mrr"] == 4_000  # the end of Mar 12 is before Mar 13 00:00
    after = mrr_metrics(
        engine,
        state("sub_k", "cus_k", at(2025, 10, 10), metered("si_k")),
        lines=(usage_line("il_k", "sub_k", "si_k", 4_000, at(2025, 12, 10), at(2026, 1, 10)),),
        as_of=date(2026, 3, 13),
    ).values
    assert after["mrr"] == 0
    assert after["mrr_churn"] == 4_000
