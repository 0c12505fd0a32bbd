"""MRR of one subscription state: the contract of docs/METRICS.md (roadmap step 2), pure.

A state contributes while its status is `active` or `past_due`. Each licensed item contributes
`unit_amount × quantity` normalized to a month; metered items and taxes are excluded. A `forever`
coupon reduces MRR (percent off, or amount off per billing period normalized to a month); `once`
and `repeating` coupons do not. The subscription's MRR is rounded to the nearest minor unit, half
up, before any summing. Arithmetic is exact (fractions) until that rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

CONTRIBUTING_STATUSES = frozenset({"active", "past_due"})

# How many of each billing interval fit in a month: a month 1, a year 1/12, a week 52/12 (52
# weeks a year), a day 365/12.
_PER_MONTH: dict[str, Fraction] = {
    "month": Fraction(1),
    "year": Fraction(1, 12),
    "week": Fraction(52, 12),
    "day": Fraction(365, 12),
}


class UnknownInterval(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    unit_amount: int | None
    quantity: int | None
    interval: str | None
    interval_count: int | None
    usage_type: str | None = "licensed"


@dataclass(frozen=True)
class Discount:
    duration: str  # forever | once | repeating
    percent_off: Decimal | None = None
    amount_off: int | None = None


def per_month(interval: str, interval_count: int) -> Fraction:
    """How many billing periods of `interval_count` × `interval` make one month."""
    if interval not in _PER_MONTH:
        raise UnknownInterval(f"unknown billing interval {interval!r}")
    if interval_count < 1:
        raise UnknownInterval(f"interval_count must be at least 1, got {interval_count}")
    return _PER_MONTH[interval] / interval_count


def item_monthly(item: Item) -> Fraction:
    """An item's exact monthly amount; metered and price-less items contribute nothing."""
    if item.usage_type == "metered" or item.unit_amount is None or item.interval is None:
        return Fraction(0)
    quantity = 1 if item.quantity is None else item.quantity
    return item.unit_amount * quantity * per_month(item.interval, item.interval_count or 1)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero for the non-negative amounts MRR takes."""
    return int((value + Fraction(1, 2)).__floor__()) if value >= 0 else -round_half_up(-value)


def subscription_mrr(status: str, items: Iterable[Item], discount: Discount | None = None) -> int:
    """MRR in minor units of one subscription state."""
    if status not in CONTRIBUTING_STATUSES:
        return 0
    items = list(items)
    gross = sum((item_monthly(i) for i in items), Fraction(0))
    if discount is None or discount.duration != "forever" or gross == 0:
        return round_half_up(gross)
    if discount.percent_off is not None:
        net = gross * (1 - Fraction(discount.percent_off) / 100)
    elif discount.amount_off is not None:
        # Amount off applies once per invoice, i.e. per billing period of the subscription
        # (all its items share one interval in Stripe).
        billed = next(((i.interval, i.interval_count) for i in items if i.interval), None)
        periods = per_month(billed[0], billed[1] or 1) if billed else Fraction(1)
        net = gross - discount.amount_off * periods
    else:
        net = gross
    return round_half_up(max(net, Fraction(0)))
