"""The kinds of criterion a lender publishes, each checked against the metric set.

Every kind is monotone in what it reads — more months, more volume, more MRR, higher retention
never turn a met criterion into an unmet one — so better metrics never move a product backwards (the
property test in tests/domain/lenders checks it). A metric that is None is unmet with words saying
the data is not there yet: unknown is never read as 0, and never as met.

Signals are what a lender says it favours without publishing a threshold: Vaultra reports where the
account stands on them but does not let them decide a status, because any line would be invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from vaultra.domain.lenders.model import Gap
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.money import format_money, minor_units_per_unit
from vaultra.domain.numbers import as_int, as_number, percent

Metrics = Mapping[str, MetricValue]

# Where a threshold comes from; anything but PUBLISHED is said in the criterion's own words.
PUBLISHED = "published"
THIRD_PARTY = "reported by third parties"
PRACTITIONER = "practitioner norm"
JUDGEMENT = "Vaultra's judgement"


class Criterion(Protocol):
    @property
    def name(self) -> str: ...

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        """The gap, or None when met; `currency` is the product's threshold currency."""
        ...


class Signal(Protocol):
    def note(self, metrics: Metrics) -> str: ...


class Labelled:
    """What every criterion is called: its label, and where the threshold comes from unless the
    lender published it."""

    label: str
    basis: str

    @property
    def name(self) -> str:
        return self.label if self.basis == PUBLISHED else f"{self.label} ({self.basis})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _money_threshold(minimum: int, currency: str | None, criterion: str) -> tuple[str, int]:
    """The product's threshold currency and `minimum` whole units of it in minor units."""
    if currency is None:
        raise ValueError(f"money criterion {criterion!r} on a product without a currency")
    return currency, minimum * minor_units_per_unit(currency)


@dataclass(frozen=True)
class AtLeastMonths(Labelled):
    minimum: int
    label: str  # "at least 9 months processing on Stripe"
    basis: str = PUBLISHED
    metric: str = "months_of_history"

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        have = as_int(metrics.get(self.metric))
        if have is None:
            return Gap(
                self.name, self.metric, None, self.minimum, "months of history not known yet"
            )
        if have >= self.minimum:
            return None
        short = self.minimum - have
        return Gap(
            self.name, self.metric, have, self.minimum, f"{_plural(short, 'more month')} of history"
        )


@dataclass(frozen=True)
class AtLeastMoney(Labelled):
    metric: str
    minimum: int  # whole units of the product's currency, as published
    label: str  # "at least 5,000 USD processed in a year"
    measure: str  # how the gap names what was measured: "gross volume over 12 months"
    basis: str = PUBLISHED
    missing: str = ""  # the gap's words when the metric is None

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        cur, need = _money_threshold(self.minimum, currency, self.label)
        have = as_int(metrics.get(self.metric))
        if have is None:
            return Gap(self.name, self.metric, None, need, self.missing or f"no {self.measure} yet")
        if have >= need:
            return None
        text = f"{self.measure} {format_money(have, cur)} of {format_money(need, cur)}"
        return Gap(self.name, self.metric, have, need, text)


@dataclass(frozen=True)
class MonthlyAverageAtLeast(Labelled):
    """An average a month over a trailing window, from one total over that window.

    Compared as total ≥ minimum × months so the boundary is exact; the gap shows the average
    rounded down, which is below the minimum whenever the criterion is unmet.
    """

    metric: str  # "gross_volume_90d"
    months: int
    minimum: int  # whole units a month
    label: str
    measure: str  # "average monthly volume over 3 months"
    basis: str = PUBLISHED

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        cur, need = _money_threshold(self.minimum, currency, self.label)
        total = as_int(metrics.get(self.metric))
        if total is None:
            return Gap(self.name, self.metric, None, need, f"no {self.measure} yet")
        if total >= need * self.months:
            return None
        have = total // self.months
        text = f"{self.measure} {format_money(have, cur)} of {format_money(need, cur)}"
        return Gap(self.name, self.metric, have, need, text)


@dataclass(frozen=True)
class AverageAtLeast(Labelled):
    """The mean of a few point-in-time values (Lighter's average MRR from its month-ends)."""

    metrics: tuple[str, ...]  # the first names the gap's metric
    minimum: int  # whole units
    label: str
    measure: str  # "average MRR (now and at the previous month-end)"
    missing: str
    basis: str = PUBLISHED

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        cur, need = _money_threshold(self.minimum, currency, self.label)
        values = [as_int(metrics.get(key)) for key in self.metrics]
        known = [v for v in values if v is not None]
        if len(known) < len(values):
            return Gap(self.name, self.metrics[0], None, need, self.missing)
        total = sum(known)
        if total >= need * len(known):
            return None
        have = total // len(known)
        text = f"{self.measure} {format_money(have, cur)} of {format_money(need, cur)}"
        return Gap(self.name, self.metrics[0], have, need, text)


@dataclass(frozen=True)
class MonthlyStreak(Labelled):
    """At least `minimum` in each of the last `months` months, in a row up to now.

    The series holds 12 calendar months ending with the as-of month, which is still in progress.
    The streak counts the complete months back from the latest one; the month in progress is
    added once it has already reached the minimum, and is never held against the account before
    then (it is not over). So 11 complete months can show at most 11 until the current month
    reaches the minimum: Vaultra cannot see the month before the series to stand in for it.
    """

    minimum: int  # whole units a month
    months: int
    label: str
    basis: str = PUBLISHED
    metric: str = "gross_volume_by_month_12m"

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        cur, need = _money_threshold(self.minimum, currency, self.label)
        series = metrics.get(self.metric)
        if not isinstance(series, dict) or not series:
            return Gap(self.name, self.metric, None, self.months, "no monthly volume series yet")
        months = sorted(series)
        current, complete = months[-1], months[:-1]
        streak = 0
        for month in reversed(complete):
            if series[month] < need:
                break
            streak += 1
        current_counts = series[current] >= need
        have = streak + (1 if current_counts else 0)
        if have >= self.months:
            return None
        details = [f"{have} in a row so far"]
        if streak < len(complete):
            broke = complete[len(complete) - 1 - streak]
            details.append(f"{broke} had {format_money(series[broke], cur)}")
        if not current_counts:
            details.append(
                f"the month in progress, {current}, has {format_money(series[current], cur)} so far"
            )
        short = self.months - have
        text = (
            f"{_plural(short, 'more month')} at {format_money(need, cur)} or more "
            f"({'; '.join(details)})"
        )
        return Gap(self.name, self.metric, have, self.months, text)


@dataclass(frozen=True)
class RatioAtLeast(Labelled):
    metric: str
    minimum: Decimal  # a fraction: Decimal("0.85") is 85 %
    label: str
    measure: str  # "GRR over 12 months"
    missing: str  # "GRR needs 12 months of subscription data"
    basis: str = PUBLISHED

    def check(self, metrics: Metrics, currency: str | None) -> Gap | None:
        have = as_number(metrics.get(self.metric))
        if have is None:
            return Gap(self.name, self.metric, None, self.minimum, self.missing)
        if have >= self.minimum:
            return None
        text = f"{self.measure} {percent(have)}, below {percent(self.minimum)}"
        return Gap(self.name, self.metric, have, self.minimum, text)


@dataclass(frozen=True)
class SteadyVolume:
    """Complete months without volume since the first charge, within the 12-month series."""

    lender: str

    def note(self, metrics: Metrics) -> str:
        lead = (
            f"{self.lender} favours a steady processing record without low or zero months and "
            "publishes no threshold: "
        )
        series = metrics.get("gross_volume_by_month_12m")
        history = as_int(metrics.get("months_of_history"))
        if not isinstance(series, dict) or not series or history is None:
            return lead + "Vaultra has no monthly volume series yet."
        complete = sorted(series)[:-1]
        in_history = complete[max(0, len(complete) - (history - 1)) :] if history > 1 else []
        if not in_history:
            return lead + "Vaultra sees no complete month since your first charge yet."
        empty = [m for m in in_history if series[m] <= 0]
        if not empty:
            complete_months = _plural(len(in_history), "complete month")
            return lead + f"Vaultra sees volume in each of the last {complete_months}."
        return lead + (
            f"Vaultra sees {_plural(len(empty), 'month')} without volume in the last "
            f"{_plural(len(in_history), 'complete month')}: {', '.join(empty)}."
        )


@dataclass(frozen=True)
class LowDisputes:
    lender: str

    def note(self, metrics: Metrics) -> str:
        lead = f"{self.lender} favours a low dispute rate and publishes no threshold: "
        ratio = as_number(metrics.get("dispute_activity_ratio_90d"))
        if ratio is None:
            return lead + "Vaultra has no 90-day dispute ratio yet (no charges in the window)."
        return lead + (
            f"disputes were {percent(ratio)} of charges over the last 90 days "
            "(the card networks' count method)."
        )
