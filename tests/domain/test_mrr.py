"""MRR of one subscription state, on hand-computed cases (arithmetic in the comments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from vaultra.domain.mrr import (
    BilledLine,
    Discount,
    Item,
    UnknownInterval,
    billed_in_force,
    is_unpriced,
    subscription_mrr,
)


def monthly(amount: int, quantity: int = 1, **kw: object) -> Item:
    return Item(amount, quantity, "month", 1, **kw)  # type: ignore[arg-type]


def test_monthly_seats_are_price_times_quantity() -> None:
    # 2,900 × 3 seats = 8,700
    assert subscription_mrr("active", [monthly(2900, 3)]) == 8700


def test_yearly_plan_is_divided_by_twelve_and_rounded_half_up() -> None:
    # 99,000 / 12 = 8,250 exactly; 10,000 / 12 = 833.33… → 833; 1,002 / 12 = 83.5 → 84 (half up)
    assert subscription_mrr("active", [Item(99000, 1, "year", 1)]) == 8250
    assert subscription_mrr("active", [Item(10000, 1, "year", 1)]) == 833
    assert subscription_mrr("active", [Item(1002, 1, "year", 1)]) == 84


def test_weekly_and_daily_plans_use_52_and_365_over_12() -> None:
    # 1,000 a week: 1,000 × 52 / 12 = 4,333.33… → 4,333
    assert subscription_mrr("active", [Item(1000, 1, "week", 1)]) == 4333
    # 100 a day: 100 × 365 / 12 = 3,041.66… → 3,042
    assert subscription_mrr("active", [Item(100, 1, "day", 1)]) == 3042


def test_interval_count_divides() -> None:
    # 30,000 every 3 months: 30,000 / 3 = 10,000; 24,000 every 2 years: 24,000 / 24 = 1,000
    assert subscription_mrr("active", [Item(30000, 1, "month", 3)]) == 10000
    assert subscription_mrr("active", [Item(24000, 1, "year", 2)]) == 1000


def test_rounding_happens_per_subscription_not_per_item() -> None:
    # two yearly items of 1,001: 1,001/12 = 83.4166… each; per item → 83 + 83 = 166,
    # per subscription → 2,002/12 = 166.83… → 167
    assert subscription_mrr("active", [Item(1001, 1, "year", 1)] * 2) == 167


@pytest.mark.parametrize("status", ["trialing", "incomplete", "canceled", "unpaid", "paused"])
def test_only_active_and_past_due_states_contribute(status: str) -> None:
    assert subscription_mrr(status, [monthly(5000)]) == 0
    assert subscription_mrr("past_due", [monthly(5000)]) == 5000


def test_metered_items_without_a_bill_count_nothing() -> None:
    # 5,000 licensed + a metered item never billed (its unit price is not what it costs a month)
    items = [monthly(5000), monthly(10, 1, usage_type="metered", item_id="si_m")]
    assert subscription_mrr("active", items) == 5000
    assert subscription_mrr("active", items, billed={}) == 5000


def test_forever_percent_coupon_reduces_mrr() -> None:
    # 8,700 × (1 − 0.20) = 6,960
    assert subscription_mrr("active", [monthly(2900, 3)], Discount("forever", Decimal(20))) == 6960


def test_forever_amount_coupon_is_per_billing_period() -> None:
    # monthly: 8,700 − 1,000 = 7,700; yearly 120,000 with 12,000 off a year: (120,000 − 12,000)/12 = 9,000
    assert (
        subscription_mrr("active", [monthly(2900, 3)], Discount("forever", amount_off=1000)) == 7700
    )
    yearly = [Item(120000, 1, "year", 1)]
    assert subscription_mrr("active", yearly, Discount("forever", amount_off=12000)) == 9000


def test_an_amount_off_larger_than_the_price_floors_at_zero() -> None:
    assert subscription_mrr("active", [monthly(500)], Discount("forever", amount_off=1000)) == 0


@pytest.mark.parametrize("duration", ["once", "repeating"])
def test_once_and_repeating_coupons_do_not_move_mrr(duration: str) -> None:
    assert subscription_mrr("active", [monthly(2900, 3)], Discount(duration, Decimal(50))) == 8700


def test_an_unknown_interval_is_a_clear_error() -> None:
    with pytest.raises(UnknownInterval, match="fortnight"):
        subscription_mrr("active", [Item(100, 1, "fortnight", 1)])


# --- Items priced by usage: what their latest invoice line billed ------------------------------

JAN_1, FEB_1, MAR_1 = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3))


def line(
    item_id: str,
    amount: int,
    start: datetime,
    end: datetime,
    interval: str = "month",
    *,
    line_id: str = "il_1",
    created: datetime | None = None,
) -> BilledLine:
    return BilledLine(item_id, amount, interval, 1, start, end, created or end, line_id)


def test_a_metered_item_counts_its_last_billed_usage_from_the_end_of_its_period() -> None:
    metered = Item(5, None, "month", 1, "metered", item_id="si_m")
    lines = [line("si_m", 12_000, JAN_1, FEB_1, line_id="il_jan"),
             line("si_m", 15_000, FEB_1, MAR_1, line_id="il_feb")]  # fmt: skip
    # Before January's usage is billed (1 February 00:00), nothing is known: 0
    before = billed_in_force(lines, FEB_1 - timedelta(seconds=1))
    assert subscription_mrr("active", [metered], billed=before) == 0
    # From 1 February, January's 12,000; from 1 March, February's 15,000
    assert subscription_mrr("active", [metered], billed=billed_in_force(lines, FEB_1)) == 12_000
    in_march = billed_in_force(lines, MAR_1 + timedelta(days=3))
    assert subscription_mrr("active", [metered], billed=in_march) == 15_000


def test_a_tiered_yearly_item_is_its_billed_amount_over_twelve() -> None:
    tiered = Item(None, 40, "year", 1, item_id="si_t")
    year = line("si_t", 100_000, datetime(2025, 1, 1, tzinfo=UTC), JAN_1, "year")
    billed = billed_in_force([year], FEB_1)
    assert billed == {"si_t": Fraction(100_000, 12)}
    # 100,000 / 12 = 8,333.33… → 8,333; plus 2 seats × 2,900 licensed: 8,333.33… + 5,800 → 14,133
    assert subscription_mrr("active", [tiered], billed=billed) == 8_333
    assert subscription_mrr("active", [tiered, monthly(2_900, 2)], billed=billed) == 14_133
    assert not is_unpriced("active", [tiered], billed)
    # Never billed: its price is unknown, it counts 0 and the subscription is unpriced
    assert subscription_mrr("active", [tiered], billed={}) == 0
    assert is_unpriced("active", [tiered], {})


def test_a_line_counts_for_two_of_its_periods_after_it_ended_then_0() -> None:
    # January (31 days) ended 1 February 00:00: stale 62 days later, at 4 April 00:00
    january = line("si_m", 12_000, JAN_1, FEB_1)
    assert january.stale_from == datetime(2026, 4, 4, tzinfo=UTC)
    last_second = datetime(2026, 4, 3, 23, 59, 59, tzinfo=UTC)
    assert billed_in_force([january], last_second) == {"si_m": Fraction(12_000)}
    assert billed_in_force([january], january.stale_from) == {}
    # A newer line stale sooner makes the item 0 even if an older one would still be recent
    week = line("si_m", 700, FEB_1, FEB_1 + timedelta(days=7), "week", line_id="il_w")
    assert billed_in_force([january, week], datetime(2026, 2, 23, tzinfo=UTC)) == {}


def test_of_lines_ending_together_the_later_invoices_wins_then_the_greater_id() -> None:
    first = line("si_m", 1_000, JAN_1, FEB_1, line_id="il_b", created=FEB_1)
    reissued = line("si_m", 2_000, JAN_1, FEB_1, line_id="il_a", created=FEB_1 + timedelta(hours=1))
    assert billed_in_force([reissued, first], FEB_1 + timedelta(hours=2)) == {"si_m": 2_000}
    twin = line("si_m", 3_000, JAN_1, FEB_1, line_id="il_c", created=FEB_1)
    assert billed_in_force([first, twin], FEB_1) == {"si_m": 3_000}


def test_weekly_usage_is_normalized_like_a_weekly_price() -> None:
    # 1,000 billed for the week to 8 January: 1,000 × 52 / 12 = 4,333.33… → 4,333 on the 10th
    week = line("si_w", 1_000, JAN_1, JAN_1 + timedelta(days=7), "week")
    metered = Item(None, None, "week", 1, "metered", item_id="si_w")
    billed = billed_in_force([week], datetime(2026, 1, 10, tzinfo=UTC))
    assert subscription_mrr("active", [metered], billed=billed) == 4_333
    assert not is_unpriced("active", [metered], {})  # metered without a bill: no usage, known


def test_billed_usage_is_discounted_by_a_forever_coupon_and_not_counted_when_not_paying() -> None:
    metered = Item(5, None, "month", 1, "metered", item_id="si_m")
    billed = {"si_m": Fraction(10_000)}
    # (5,000 + 10,000) × 0.8 = 12,000
    discount = Discount("forever", Decimal(20))
    assert subscription_mrr("active", [monthly(5_000), metered], discount, billed) == 12_000
    assert subscription_mrr("canceled", [metered], billed=billed) == 0
    # A credit billed (a negative amount) never takes MRR below 0
    assert subscription_mrr("active", [metered], billed={"si_m": Fraction(-500)}) == 0
