"""Published sizing rules, turned into a range only as far as the rule itself goes.

Integer arithmetic in minor units, rounded down, so an estimate never rounds up past the rule.
Where a lender publishes only a ceiling, the low end is 0: Vaultra does not invent a floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from vaultra.domain.lenders.model import OfferEstimate
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.money import format_money, minor_units_per_unit
from vaultra.domain.numbers import as_int

Metrics = Mapping[str, MetricValue]


class SizingRule(Protocol):
    def estimate(self, metrics: Metrics, currency: str | None) -> OfferEstimate | str:
        """The estimate, or the reason there is none, in words."""
        ...


@dataclass(frozen=True)
class ShareOfArr:
    """A share of annualised run rate, ARR = MRR × 12 (the `arr` metric)."""

    high_percent: int
    rule: str  # "up to 33 % of annualised run rate", as the lender puts it
    low_percent: int | None = None
    minimum: int | None = None  # whole units of `currency`
    maximum: int | None = None
    currency: str | None = None  # the bounds' currency; None: the rule applies in any currency

    def estimate(self, metrics: Metrics, currency: str | None) -> OfferEstimate | str:
        arr = as_int(metrics.get("arr"))
        if arr is None or arr <= 0:
            return "No estimate: the rule is a share of ARR and Vaultra sees no ARR yet."
        if currency is None:
            return "No estimate: the account's currency is not known yet."
        if self.currency is not None and currency != self.currency:
            return f"No estimate: the rule's bounds are in {self.currency.upper()}."
        per = minor_units_per_unit(currency)
        high = arr * self.high_percent // 100
        if self.maximum is not None:
            high = min(high, self.maximum * per)
        floor = self.minimum * per if self.minimum is not None else 0
        if high < floor:
            return (
                f"No estimate: {self.high_percent} % of ARR is {format_money(high, currency)}, "
                f"below the smallest amount the lender funds, {format_money(floor, currency)}."
            )
        low = arr * self.low_percent // 100 if self.low_percent is not None else floor
        basis = f"{self.rule} (ARR {format_money(arr, currency)})"
        if self.minimum is not None and self.maximum is not None:
            basis += f", within {self.minimum:,}–{self.maximum:,} {currency.upper()}"
        if self.low_percent is None and self.minimum is None:
            basis += "; no floor is published, so the low end is 0"
        return OfferEstimate(min(low, high), high, currency, basis)


@dataclass(frozen=True)
class ProductMaximum:
    """Only the product's maximum is published: the range says no more than that."""

    maximum: int  # whole units of `currency`
    currency: str
    basis: str

    def estimate(self, metrics: Metrics, currency: str | None) -> OfferEstimate | str:
        if currency is None:
            return "No estimate: the account's currency is not known yet."
        if currency != self.currency:
            return f"No estimate: the product's maximum is in {self.currency.upper()}."
        return OfferEstimate(0, self.maximum * minor_units_per_unit(currency), currency, self.basis)
