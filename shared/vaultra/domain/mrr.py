"""MRR of one subscription state: the contract of docs/METRICS.md (roadmap step 2), pure.

A state contributes while its status is `active` or `past_due`. Each item with a unit price
contributes `unit_amount × quantity` normalized to a month; an item priced by usage (metered, or a
tiered price without a unit amount) contributes what its latest billed invoice line charged,
normalized to a month, while that line is recent (`billed_in_force`); taxes are excluded. A
`forever` coupon reduces MRR (percent off, or amount off per billing period normalized to a
month); `once` and `repeating` coupons do not. The subscription's MRR is rounded to the nearest
minor unit, half up, before any summing. Arithmetic is exact (fractions) until that rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

CONTRIBUTING_STATUSES = frozenset({"active", "past_due"})
# Invoices in these statuses bill nothing: a draft can still change, a void one was cancelled.
UNBILLED_INVOICE_STATUSES = frozenset({"draft", "void"})
# A billed line stays the item's price for this many of its own service periods after it ended;
# then the item counts 0 until a newer line is billed (its usage has stopped being invoiced).
RECENT_PERIODS = 2

# How many of each billing interval fit in a month: a month 1, a year 1/12, a week 52/12 (52
# weeks a year), a day 365/12.
_PER_MONTH: dict[str, Fraction] = {
    "month": Fraction(1),
    "year": Fraction(1, 12),
    "week": Fraction(52, 12),
    "day": Fraction(365, 12),
}


BILLING_INTERVALS = frozenset(_PER_MONTH)


class UnknownInterval(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    unit_amount: int | None
    quantity: int | None
    interval: str | None
    interval_count: int | None
    usage_type: str | None = "licensed"
    item_id: str | None = None

    @property
    def priced_by_usage(self) -> bool:
        """Metered, or tiered (no unit amount): its price is what its invoice lines charge."""
        return self.usage_type == "metered" or self.unit_amount is None

    @property
    def tiered(self) -> bool:
        return self.unit_amount is None and self.usage_type != "metered"


@dataclass(frozen=True)
class BilledLine:
    """An invoice line that billed a usage-priced subscription item for one service period: not a
    proration, on an invoice that is neither draft nor void, with a billing interval."""

    item_id: str
    amount: int
    interval: str
    interval_count: int
    period_start: datetime
    period_end: datetime
    created: datetime  # the invoice's: of two lines ending together, the later invoice's wins
    line_id: str

    @property
    def stale_from(self) -> datetime:
        """The instant the line stops being recent: `RECENT_PERIODS` of its own service periods
        after its period ended."""
        return self.period_end + RECENT_PERIODS * (self.period_end - self.period_start)

    def monthly(self) -> Fraction:
        return self.amount * per_month(self.interval, self.interval_count)


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


def billed_in_force(lines: Iterable[BilledLine], at: datetime) -> dict[str, Fraction]:
    """The monthly amount each usage-priced item was last billed, as of the instant `at`.

    Per item, the most recent line whose service period ended at or before `at` (usage is billed
    in arrears: its amount is known when the period is over); of lines ending at one instant, the
    one of the latest invoice, then the greatest line id. It counts until it is stale; an item
    without a line in force is absent."""
    latest: dict[str, BilledLine] = {}
    for line in lines:
        if line.period_end > at:
            continue
        held = latest.get(line.item_id)
        order = (line.period_end, line.created, line.line_id)
        if held is None or order > (held.period_end, held.created, held.line_id):
            latest[line.item_id] = line
    return {item: line.monthly() for item, line in latest.items() if at < line.stale_from}


def item_monthly(item: Item, billed: Mapping[str, Fraction] | None = None) -> Fraction:
    """An item's exact monthly amount. An item priced by usage takes its billed amount (`billed`,
    by item id: see `billed_in_force`), 0 without one; an item without an interval contributes
    nothing."""
    if item.priced_by_usage:
        if item.item_id is None or billed is None:
            return Fraction(0)
        return billed.get(item.item_id, Fraction(0))
    if item.unit_amount is None or item.interval is None:
        return Fraction(0)
    quantity = 1 if item.quantity is None else item.quantity
    return item.unit_amount * quantity * per_month(item.interval, item.interval_count or 1)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero for the non-negative amounts MRR takes."""
    return int((value + Fraction(1, 2)).__floor__()) if value >= 0 else -round_half_up(-value)


def is_unpriced(
    status: str, items: Iterable[Item], billed: Mapping[str, Fraction] | None = None
) -> bool:
    """A contributing state with an item whose price cannot be known: tiered, and no line of it in
    force (never billed yet, or its last bill is stale). Metered items are never unpriced: no
    recent bill means no usage billed."""
    if status not in CONTRIBUTING_STATUSES:
        return False
    return any(i.tiered and (i.item_id is None or i.item_id not in (billed or {})) for i in items)


def subscription_mrr(
    status: str,
    items: Iterable[Item],
    discount: Discount | None = None,
    billed: Mapping[str, Fraction] | None = None,
) -> int:
    """MRR in minor units of one subscription state; `billed`: the monthly amounts of its
    usage-priced items billed and in force at the instant (`billed_in_force`)."""
    if status not in CONTRIBUTING_STATUSES:
        return 0
    items = list(items)
    gross = sum((item_monthly(i, billed) for i in items), Fraction(0))
    if discount is None or discount.duration != "forever" or gross <= 0:
        # A billed line can be a credit (a negative amount): MRR is never below 0.
        return round_half_up(max(gross, Fraction(0)))
    if discount.percent_off is not None:
        net = gross * (1 - Fraction(discount.percent_off) / 100)
    elif discount.amount_off is not None:
        # Amount off applies once per invoice, i.e. per billing period of the subscription
        # (all its items share one interval in Stripe).
        billing = next(((i.interval, i.interval_count) for i in items if i.interval), None)
        periods = per_month(billing[0], billing[1] or 1) if billing else Fraction(1)
        net = gross - discount.amount_off * periods
    else:
        net = gross
    return round_half_up(max(net, Fraction(0)))
