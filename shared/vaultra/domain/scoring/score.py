"""Metrics in, an explained readiness score out: a pure function of its inputs.

The score is the sum of its components' points, exactly. A criterion without data earns half its
points and is listed under `missing`; the share of points backed by data sets the confidence. A
ceiling (a lender's knock-out) shows as its own line of negative points, so the sum still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.numbers import json_value
from vaultra.domain.scoring.criteria import CriterionResult, evaluate
from vaultra.domain.scoring.model import (
    CEILINGS,
    COMPONENTS,
    CRITERIA,
    INPUT_NAMES,
    MODEL_VERSION,
    Ceiling,
    Component,
    ceiling_reading,
)
from vaultra.domain.scoring.values import show, show_limit

Confidence = Literal["high", "medium", "low"]
TOP_FACTORS = 3


@dataclass(frozen=True)
class ComponentScore:
    key: str
    title: str
    points: int
    max_points: int
    explanation: str
    criteria: tuple[CriterionResult, ...] = ()
    inputs: tuple[tuple[str, Any], ...] = ()

    def to_json(self, currency: str | None) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "points": self.points,
            "max_points": self.max_points,
            "explanation": self.explanation,
            "inputs": {metric: json_value(value) for metric, value in self.inputs},
            "thresholds": [_criterion_json(r, currency) for r in self.criteria],
        }


@dataclass(frozen=True)
class Factor:
    key: str
    title: str
    points_lost: int
    could_gain: int  # what the score gains with this component at full marks (ceilings still apply)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "points_lost": self.points_lost,
            "could_gain": self.could_gain,
        }


@dataclass(frozen=True)
class Score:
    version: str
    score: int
    confidence: Confidence
    components: tuple[ComponentScore, ...]
    top_factors: tuple[Factor, ...]
    missing: tuple[str, ...]  # the criteria scored without data, with why
    currency: str | None

    def component(self, key: str) -> ComponentScore:
        return next(c for c in self.components if c.key == key)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "score": self.score,
            "confidence": self.confidence,
            "components": [c.to_json(self.currency) for c in self.components],
            "top_factors": [f.to_json() for f in self.top_factors],
            "missing": list(self.missing),
        }


def scoring_inputs(
    metrics: Mapping[str, MetricValue], currency: str | None, assessed_at: datetime
) -> dict[str, MetricValue]:
    """The metrics plus the input derived from them: the data's age at `assessed_at` (the time
    since Stripe was last heard from)."""
    inputs = dict(metrics)
    inputs["data_age_hours"] = _age_hours(metrics.get("last_synced_at"), assessed_at)
    return inputs


def score_metrics(
    metrics: Mapping[str, MetricValue],
    currency: str | None,
    assessed_at: datetime,
    notes: Mapping[str, str] | None = None,
) -> Score:
    """`assessed_at` is the moment the data's age is judged at; `notes` the metric set's reasons
    for its nulls, shown where a criterion has no data."""
    return score_inputs(scoring_inputs(metrics, currency, assessed_at), currency, notes)


def score_inputs(
    inputs: Mapping[str, MetricValue], currency: str | None, notes: Mapping[str, str] | None = None
) -> Score:
    """The score of prepared inputs (`scoring_inputs`): what simulations change and re-score."""
    scored = [_component(c, inputs, currency, notes or {}) for c in COMPONENTS]
    subtotal = sum(c.points for c in scored)
    active = _active_ceiling(inputs)
    ceiling = _ceiling_line(active, inputs, subtotal) if active else None
    components = tuple(scored + ([ceiling] if ceiling else []))
    score = sum(c.points for c in components)
    results = [r for c in scored for r in c.criteria]
    with_data = sum(r.max_points for r in results if r.status == "scored")
    return Score(
        version=MODEL_VERSION,
        score=score,
        confidence=_confidence(with_data, sum(r.max_points for r in results)),
        components=components,
        top_factors=_top_factors(scored, active[0].cap if active else None, ceiling, score),
        missing=tuple(f"{r.criterion.label}: {r.reason}" for r in results if r.status == "no_data"),
        currency=currency,
    )


def total_points(inputs: Mapping[str, MetricValue], currency: str | None) -> int:
    """The score alone, without explanations. Built from the same criteria and ceiling as
    `score_inputs`, so the two always agree (a property test holds them equal)."""
    return QuickScore(inputs, currency).total


_CRITERIA = tuple(CRITERIA.values())


class QuickScore:
    """The score of one state, re-scored cheaply for a changed state: only the criteria reading
    an input that changed are evaluated again. What plans compare, many times per business."""

    def __init__(
        self,
        inputs: Mapping[str, MetricValue],
        currency: str | None,
        points: dict[str, int] | None = None,
    ) -> None:
        self.inputs, self.currency = inputs, currency
        self.points = points or {c.key: evaluate(c, inputs, currency).points for c in _CRITERIA}
        active = _active_ceiling(inputs)
        subtotal = sum(self.points.values())
        self.total = min(subtotal, active[0].cap) if active else subtotal

    def rescored(self, after: Mapping[str, MetricValue]) -> QuickScore:
        changed = {
            k for k in after.keys() | self.inputs.keys() if after.get(k) != self.inputs.get(k)
        }
        points = dict(self.points)
        for criterion in _CRITERIA:
            if not changed.isdisjoint(criterion.reads):
                points[criterion.key] = evaluate(criterion, after, self.currency).points
        return QuickScore(after, self.currency, points)


def _component(
    component: Component,
    inputs: Mapping[str, MetricValue],
    currency: str | None,
    notes: Mapping[str, str],
) -> ComponentScore:
    results = tuple(evaluate(c, inputs, currency, notes) for c in component.criteria)
    used = tuple((m, inputs.get(m)) for c in component.criteria for m in c.reads)
    phrases = [_phrase(r, currency) for r in results]
    explanation = "; ".join(phrases)
    return ComponentScore(
        key=component.key,
        title=component.title,
        points=sum(r.points for r in results),
        max_points=component.max_points,
        explanation=explanation[:1].upper() + explanation[1:] + ".",
        criteria=results,
        inputs=used,
    )


def _phrase(result: CriterionResult, currency: str | None) -> str:
    criterion = result.criterion
    marks = f"{result.points} of {result.max_points}"
    if result.status == "no_data" or result.value is None:
        return f"{criterion.label}: no data yet ({result.reason}), counted at half marks ({marks})"
    meaning = result.band.meaning if result.band else criterion.floor_meaning
    which = (
        f" ({INPUT_NAMES.get(result.metric or '', result.metric)})"
        if len(criterion.metrics) > 1
        else ""
    )
    shown = show(result.value, criterion.unit, currency)
    if result.usd_value is not None and result.usd_rate is not None and currency:
        shown += (
            f" (= {result.usd_value:,.0f} USD at 1 USD = {result.usd_rate.normalize():f} "
            f"{currency.upper()}, the rate Stripe applied)"
        )
    if result.counted_as is not None and result.minimums and result.count is not None:
        shown += (
            f" on {result.minimums.counted(result.count)}, counted as "
            f"{show(result.counted_as, criterion.unit, currency)} ({result.minimums.rule})"
        )
    return f"{criterion.label}{which} {shown}, {meaning} ({marks})"


def _criterion_json(result: CriterionResult, currency: str | None) -> dict[str, Any]:
    criterion = result.criterion
    sign = "≥" if criterion.direction == "higher" else "≤"
    return {
        "criterion": criterion.key,
        "status": result.status,
        "metric": result.metric,
        "value": json_value(result.value),
        "counted_as": json_value(result.counted_as),
        "points": result.points,
        "max_points": result.max_points,
        "applied": (
            f"{sign} {show_limit(result.band.limit, criterion.unit, 'usd')}"
            if result.band
            else None
        ),
        "bands": [
            {"limit": json_value(b.limit), "points": b.points, "meaning": b.meaning}
            for b in criterion.bands
        ],
    }


def _active_ceiling(inputs: Mapping[str, MetricValue]) -> tuple[Ceiling, Decimal] | None:
    for ceiling in CEILINGS:
        worst = ceiling_reading(ceiling, inputs)
        if worst is not None and worst >= ceiling.at_least:
            return ceiling, worst
    return None


def _ceiling_line(
    active: tuple[Ceiling, Decimal], inputs: Mapping[str, MetricValue], subtotal: int
) -> ComponentScore:
    ceiling, worst = active
    cut = max(0, subtotal - ceiling.cap)
    return ComponentScore(
        key=ceiling.key,
        title="Ceiling",
        points=-cut,
        max_points=0,
        explanation=(
            f"The score is held at {ceiling.cap} while {ceiling.reason}"
            f" (now {show(worst, 'ratio', None)}): lenders decline at this level"
            + (f", so {cut} points are held back." if cut else ".")
        ),
        inputs=tuple((m, inputs.get(m)) for m in CRITERIA[ceiling.reads_as].reads),
    )


def _top_factors(
    scored: list[ComponentScore], cap: int | None, ceiling: ComponentScore | None, score: int
) -> tuple[Factor, ...]:
    """The components losing the most points; each one's gain is what the score would be with
    it at full marks, after any ceiling — a gain a ceiling absorbs is not promised."""
    subtotal = sum(c.points for c in scored)

    def total(points: int) -> int:
        return min(points, cap) if cap is not None else points

    factors = [
        Factor(c.key, c.title, lost, total(subtotal + lost) - score)
        for c in scored
        if (lost := c.max_points - c.points) > 0
    ]
    if ceiling is not None and ceiling.points < 0:
        factors.append(Factor(ceiling.key, ceiling.title, -ceiling.points, -ceiling.points))
    factors.sort(key=lambda f: (-f.points_lost, -f.could_gain, f.key))
    return tuple(factors[:TOP_FACTORS])


def _confidence(with_data: int, total: int) -> Confidence:
    share = Decimal(with_data) / total if total else Decimal(0)
    if share >= Decimal("0.9"):
        return "high"
    return "medium" if share >= Decimal("0.75") else "low"


def _age_hours(data_through: MetricValue, assessed_at: datetime) -> int | None:
    if not isinstance(data_through, str):
        return None
    seen = datetime.fromisoformat(data_through)
    return max(0, int((assessed_at - seen).total_seconds() // 3600))
