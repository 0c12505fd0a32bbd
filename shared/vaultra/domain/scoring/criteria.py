"""One scored criterion: which metrics it reads, its bands, and how a value earns points.

A criterion is monotone by construction: its bands are ordered from best to worst, a value earns
the points of the first band it reaches, and several inputs combine by their best or their worst
band. So improving one input never earns fewer points — the property the score's tests check.

Three refinements keep that property: a ratio's lines may count only from a number of events
(`CountMinimums`: the card networks' dispute programmes), which can only place a ratio in a
better band, never a worse one; a metric may be read only while a better measure of the same
thing is unknown (`instead`: growth a year apart over six months into a season); and a criterion
without data may have a stand-in for businesses it does not fit (`stand_in`: repeat buyers where
there are no subscriptions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, TypeGuard

from vaultra.domain.metrics.aggregates import rate_of_millionths
from vaultra.domain.money import minor_units_per_unit

Direction = Literal["higher", "lower"]  # which way is better
Unit = Literal["money", "ratio", "count", "months", "hours"]
Combine = Literal["best", "worst"]
Number = int | Decimal

# Money thresholds are written in US dollars. They are applied one to one to these currencies,
# whose unit is within about a third of a dollar's; for any other currency Vaultra has no rate
# source, and a money criterion reports "no data" rather than compare yen with dollars.
# Money thresholds are written in US dollars. An amount in another currency is compared with them
# only through a rate Stripe applied on this account (`fx_rates_12m`: the latest USD sale of the 12
# months settled in the account's currency) — the one policy lender fit follows too: no rate, no
# comparison (docs/SCORING.md, "Currencies").
THRESHOLD_CURRENCY = "usd"
FX_RATES = "fx_rates_12m"


@dataclass(frozen=True)
class Band:
    limit: Decimal  # reached when value >= limit (higher is better) or value <= limit (lower)
    points: int
    meaning: str  # plain words for a person: "below Visa's 0.65 % early-warning line"


@dataclass(frozen=True)
class Line:
    """A ratio line that counts only from a number of events, as the card networks draw theirs:
    Visa's early warning is 0.65 % of charges *and* 75 disputes in the month."""

    limit: Decimal
    minimum: int


@dataclass(frozen=True)
class CountMinimums:
    """The events a ratio rests on, and how many of them make each of its lines count."""

    count: str  # the metric counting the events behind the ratio: "disputes_count_30d"
    lines: tuple[Line, ...]
    rule: str  # the minimums in plain words, for the explanation
    events: tuple[str, str] = ("event", "events")  # what is counted, singular and plural

    def counted(self, count: int) -> str:
        return f"{count} {self.events[0] if count == 1 else self.events[1]}"

    def counted_as(self, ratio: Decimal, count: object) -> Decimal:
        """The ratio as the lines it has established read it. A line the ratio is over but whose
        minimum the count does not reach is not crossed: above the highest line it did
        establish, the ratio counts as the lowest line it has not, which is the worst band it
        can be placed in. With the count unknown every line counts, as before minimums."""
        if not isinstance(count, int) or isinstance(count, bool):
            return ratio
        crossed = [line for line in self.lines if ratio > line.limit]
        established = max((line.limit for line in crossed if count >= line.minimum), default=None)
        unproven = [
            line.limit for line in crossed if established is None or line.limit > established
        ]
        return min(unproven) if unproven else ratio


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str  # "dispute activity"
    metrics: tuple[str, ...]
    direction: Direction
    unit: Unit
    bands: tuple[Band, ...]  # best first; a value that reaches none earns 0 (`floor_meaning`)
    combine: Combine = "best"
    floor_meaning: str = "below every band"
    # Ratio metrics whose lines count only from a number of events (the dispute programmes').
    minimums: tuple[tuple[str, CountMinimums], ...] = ()
    # (metric, better): `metric` is read only while `better` is unknown.
    instead: tuple[tuple[str, str], ...] = ()
    # What is scored in this criterion's place when it has no data and `stand_in_when` is 0: the
    # measure of the same thing for another kind of business (repeat buyers where there are no
    # subscriptions to churn). It has the same maximum points.
    stand_in: Criterion | None = None
    stand_in_when: str = ""

    @property
    def reads(self) -> tuple[str, ...]:
        """Every input the points depend on: the metrics, the counts behind their lines, and
        what decides and scores a stand-in."""
        own = self.metrics + tuple(m.count for _, m in self.minimums)
        if self.stand_in is None:
            return own
        return (*own, self.stand_in_when, *self.stand_in.reads)

    def counted(self, metric: str, value: Decimal, inputs: Mapping[str, object]) -> Decimal:
        """`value` of `metric` as its count minimums read it (itself without minimums)."""
        rule = dict(self.minimums).get(metric)
        return rule.counted_as(value, inputs.get(rule.count)) if rule else value

    def read_metrics(self, inputs: Mapping[str, object]) -> tuple[str, ...]:
        """The metrics the criterion reads from `inputs`: all of them, but for one that gives way
        to a better measure of the same thing that is known (`instead`)."""
        instead = dict(self.instead)
        return tuple(
            m for m in self.metrics if not (m in instead and _number(inputs.get(instead[m])))
        )

    @property
    def max_points(self) -> int:
        return self.bands[0].points

    @property
    def neutral_points(self) -> int:
        """What a criterion without data earns: half marks, rounded down, shown as missing."""
        return self.max_points // 2


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: Literal["scored", "no_data"]
    points: int
    value: Number | None  # the deciding input's value, None without data
    metric: str | None  # the deciding input
    band: Band | None  # None when below every band or without data
    reason: str = ""  # why there is no data
    # Set when count minimums placed the value in a better band than its own: what it counted as,
    # the count behind it and the minimums that applied.
    counted_as: Decimal | None = None
    count: int | None = None
    minimums: CountMinimums | None = None
    # Set when a money value in another currency was converted to compare with the USD thresholds:
    # the value in whole US dollars and the rate (units of the currency per dollar) it took.
    usd_value: Decimal | None = None
    usd_rate: Decimal | None = None

    @property
    def max_points(self) -> int:
        return self.criterion.max_points


def evaluate(
    criterion: Criterion,
    inputs: Mapping[str, object],
    currency: str | None,
    notes: Mapping[str, str] | None = None,
) -> CriterionResult:
    """`notes` are the metric set's reasons for its nulls ("no subscription customers")."""
    candidates: list[CriterionResult] = []
    reasons: list[str] = []
    minimums = dict(criterion.minimums)
    for metric in criterion.read_metrics(inputs):
        raw = inputs.get(metric)
        if not _number(raw):
            reasons.append((notes or {}).get(metric) or f"{metric} is not known yet")
            continue
        comparable = _comparable(criterion, raw, currency, inputs)
        if comparable is None:
            reasons.append(no_rate_reason(currency))
            continue
        rule = minimums.get(metric)
        counted = criterion.counted(metric, comparable, inputs)
        band = _band_of(criterion, counted)
        points = band.points if band else 0
        result = CriterionResult(criterion, "scored", points, raw, metric, band)
        if criterion.unit == "money" and currency and currency.lower() != THRESHOLD_CURRENCY:
            result = replace(result, usd_value=comparable, usd_rate=usd_rate(currency, inputs))
        if rule is not None and counted != comparable:
            count = inputs.get(rule.count)  # an int: minimums apply only to a known count
            result = replace(
                result,
                counted_as=counted,
                count=count if isinstance(count, int) else None,
                minimums=rule,
            )
        candidates.append(result)
    if not candidates:
        stand_in = criterion.stand_in
        if stand_in is not None and inputs.get(criterion.stand_in_when) == 0:
            found = evaluate(stand_in, inputs, currency, notes)
            if found.status == "scored":
                return found
        return CriterionResult(
            criterion, "no_data", criterion.neutral_points, None, None, None, "; ".join(reasons)
        )
    pick = max if criterion.combine == "best" else min
    return pick(candidates, key=lambda c: c.points)


def _readings(criterion: Criterion, inputs: Mapping[str, object]) -> list[tuple[Decimal, Decimal]]:
    """Each known input of the criterion, and the value its count minimums read it as."""
    out = []
    for metric in criterion.metrics:
        raw = inputs.get(metric)
        if _number(raw):
            value = Decimal(str(raw))
            out.append((value, criterion.counted(metric, value, inputs)))
    return out


def counted_values(criterion: Criterion, inputs: Mapping[str, object]) -> list[Decimal]:
    """The criterion's known ratio inputs, each as its count minimums read it."""
    return [counted for _, counted in _readings(criterion, inputs)]


def established_values(criterion: Criterion, inputs: Mapping[str, object]) -> list[Decimal]:
    """The criterion's known ratio inputs that every line they cross has established: a ratio
    read below its own value (`CountMinimums.counted_as`) has crossed no line it is placed at,
    so it reaches no ceiling drawn on one."""
    return [value for value, counted in _readings(criterion, inputs) if counted == value]


def _number(value: object) -> TypeGuard[int | Decimal]:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def usd_rate(currency: str | None, inputs: Mapping[str, object]) -> Decimal | None:
    """Units of `currency` one US dollar settled into, as Stripe applied it on this account (1 for
    USD itself); None when no USD sale of the 12 months settled in `currency`."""
    if currency is None:
        return None
    if currency.lower() == THRESHOLD_CURRENCY:
        return Decimal(1)
    rates = inputs.get(FX_RATES)
    millionths = rates.get(THRESHOLD_CURRENCY) if isinstance(rates, dict) else None
    if not isinstance(millionths, int) or millionths <= 0:
        return None
    return rate_of_millionths(millionths)


def in_usd(value: Number, currency: str | None, inputs: Mapping[str, object]) -> Decimal | None:
    """An amount in minor units of `currency` as whole US dollars, at Stripe's rate."""
    rate = usd_rate(currency, inputs)
    if currency is None or rate is None:
        return None
    return Decimal(value) / minor_units_per_unit(currency) / rate


def no_rate_reason(currency: str | None) -> str:
    if currency is None:
        return "the account's currency is not known yet"
    return (
        f"thresholds are in USD and no USD sale of the 12 months settled in "
        f"{currency.upper()}: no rate Stripe applied to convert at"
    )


def _comparable(
    criterion: Criterion, value: Number, currency: str | None, inputs: Mapping[str, object]
) -> Decimal | None:
    if criterion.unit != "money":
        return Decimal(value)
    return in_usd(value, currency, inputs)


def _band_of(criterion: Criterion, value: Decimal) -> Band | None:
    for band in criterion.bands:
        reached = value >= band.limit if criterion.direction == "higher" else value <= band.limit
        if reached:
            return band
    return None


def next_band_limit(criterion: Criterion, value: Decimal) -> Decimal | None:
    """The limit of the nearest band better than the one `value` reaches; None at the top."""
    reached = _band_of(criterion, value)
    if reached is None:
        return criterion.bands[-1].limit
    index = criterion.bands.index(reached)
    return criterion.bands[index - 1].limit if index > 0 else None
