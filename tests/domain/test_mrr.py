"""MRR of one subscription state, on hand-computed cases (arithmetic in the comments)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vaultra.domain.mrr import Discount, Item, UnknownInterval, subscription_mrr


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


def test_metered_items_are_excluded() -> None:
    # 5,000 licensed + a metered item (its unit price times usage is not recurring revenue)
    items = [monthly(5000), monthly(10, 1, usage_type="metered")]
    assert subscription_mrr("active", items) == 5000


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
