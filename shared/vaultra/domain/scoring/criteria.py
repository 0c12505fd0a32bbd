"""One scored criterion: which metrics it reads, its bands, and how a value earns points.

A criterion is monotone by construction: its bands are ordered from best to worst, a value earns
the points of the first band it reaches, and several inputs combine by their best or their worst
band. So improving one input never earns fewer points — the property the score's tests check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from vaultra.domain.money import minor_units_per_unit

Direction = Literal["higher", "lower"]  # which way is better
Unit = Literal["money", "ratio", "count", "months", "hours"]
Combine = Literal["best", "worst"]
Number = int | Decimal

# Money thresholds are written in US dollars. They are applied one to one to these currencies,
# whose unit is within about a third of a dollar's; for any other currency Vaultra has no rate
# source, and a money criterion reports "no data" rather than compare yen with dollars.
MONEY_LIKE_USD = frozenset({"usd", "eur", "gbp", "cad", "aud", "chf"})


@dataclass(frozen=True)
class Band:
    limit: Decimal  # reached when value >= limit (higher is better) or value <= limit (lower)
    points: int
    meaning: str  # plain words for a person: "below Visa's 0.65 % early-warning line"


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
    candidates: list[tuple[int, str, Number, Band | None]] = []
    reasons: list[str] = []
    for metric in criterion.metrics:
        raw = inputs.get(metric)
        if raw is None or isinstance(raw, bool) or not isinstance(raw, int | Decimal):
            reasons.append((notes or {}).get(metric) or f"{metric} is not known yet")
            continue
        comparable = _comparable(criterion, raw, currency)
        if comparable is None:
            reasons.append(f"thresholds are in USD and {str(currency).upper()} has no rate source")
            continue
        band = _band_of(criterion, comparable)
        candidates.append((band.points if band else 0, metric, raw, band))
    if not candidates:
        return CriterionResult(
            criterion, "no_data", criterion.neutral_points, None, None, None, "; ".join(reasons)
        )
    pick = max if criterion.combine == "best" else min
    points, metric, value, band = pick(candidates, key=lambda c: c[0])
    return CriterionResult(criterion, "scored", points, value, metric, band)


def _comparable(criterion: Criterion, value: Number, currency: str | None) -> Decimal | None:
    if criterion.unit != "money":
        return Decimal(value)
    if currency is None or currency.lower() not in MONEY_LIKE_USD:
        return None
    return Decimal(value) / minor_units_per_unit(currency)


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
