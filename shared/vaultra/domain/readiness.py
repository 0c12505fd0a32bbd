"""The whole readiness picture of one business from its metrics: score, lender fit, what to do.

Pure and deterministic: the same metrics, currency and moment give the same assessment. A what-if
is the same computation on changed inputs; a recommendation's expected gain is a what-if of its
outcome, so gains always agree with the model that scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from vaultra.domain.lenders import CRITERIA_VERSION, LenderFit, assess_lenders
from vaultra.domain.metrics.catalog import BY_KEY as METRICS
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.recommendations.catalog import ACTIONS, EFFORT_WEIGHT, Action, Effort
from vaultra.domain.scoring.score import QuickScore, Score, score_inputs, scoring_inputs
from vaultra.domain.scoring.whatif import Change, apply_changes

THIS_WEEK = 3


@dataclass(frozen=True)
class Recommendation:
    key: str
    title: str
    trigger: str
    effort: Effort
    takes_effect: str
    article: str
    expected_gain: int  # score points, from the what-if of the action's outcome
    unlocks: tuple[str, ...]  # lender products the outcome would make eligible

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "trigger": self.trigger,
            "expected_gain": self.expected_gain,
            "effort": self.effort,
            "takes_effect": self.takes_effect,
            "article": self.article,
            "unlocks": list(self.unlocks),
        }


@dataclass(frozen=True)
class Assessment:
    score: Score
    lender_fit: tuple[LenderFit, ...]
    inputs: Mapping[str, MetricValue]
    currency: str | None
    notes: Mapping[str, str]  # the metric set's reasons for its nulls
    lender_criteria_version: str = CRITERIA_VERSION


def assess(
    metrics: Mapping[str, MetricValue],
    currency: str | None,
    assessed_at: datetime,
    notes: Mapping[str, str] | None = None,
) -> Assessment:
    return assess_inputs(scoring_inputs(metrics, currency, assessed_at), currency, notes)


def simulate(before: Assessment, changes: Iterable[Change]) -> Assessment:
    """`before` with `changes` made to its inputs: nothing is read or saved."""
    return assess_inputs(apply_changes(before.inputs, changes), before.currency, before.notes)


def recommend(before: Assessment) -> list[Recommendation]:
    """The actions the data triggers, as a plan: each step is the action with the best expected
    gain per unit of effort given the steps before it, and its gain is what it adds on top of
    them. So gains add up, and an action whose effect a ceiling would swallow today (lower
    refunds while disputes hold the score at 40) is ranked after the action that lifts it.
    Actions that would gain nothing and unlock no lender even at the end are left out."""
    currency = before.currency
    outcomes = {
        a.key: outcome
        for a in ACTIONS
        if a.applies(before.inputs) and (outcome := a.outcome(before.inputs))
    }
    state = QuickScore(before.inputs, currency)
    lenders = _LenderView.of(before.inputs, currency)
    plan: list[Recommendation] = []
    while outcomes:
        steps = []
        for action in (a for a in ACTIONS if a.key in outcomes):
            after = state.rescored(apply_outcome(state.inputs, outcomes[action.key]))
            steps.append((after.total - state.total, action, after))
        gain, action, after = min(
            steps, key=lambda s: (-Decimal(s[0]) / EFFORT_WEIGHT[s[1].effort], -s[0], s[1].key)
        )
        del outcomes[action.key]
        now = lenders.moved_to(after.inputs)
        unlocks = tuple(k for k in now.eligible if k not in lenders.eligible)
        if gain <= 0 and not unlocks:
            continue
        plan.append(_recommendation(action, gain, unlocks))
        state, lenders = after, now
    return plan


@dataclass(frozen=True)
class _LenderView:
    """Which products are eligible in a state, and which inputs deciding that were read.

    The lender assessment is pure, so a state that differs from this one only in inputs it never
    read has the same outcome: the plan re-assesses lenders only when a step changes one of them.
    """

    inputs: Mapping[str, MetricValue]
    currency: str | None
    eligible: tuple[str, ...]
    read: frozenset[str]

    @classmethod
    def of(cls, inputs: Mapping[str, MetricValue], currency: str | None) -> _LenderView:
        recorder = _Reads(inputs)
        eligible = _eligible(assess_lenders(recorder, currency))
        return cls(inputs, currency, eligible, frozenset(recorder.read))

    def moved_to(self, inputs: Mapping[str, MetricValue]) -> _LenderView:
        if all(inputs.get(k) == self.inputs.get(k) for k in self.read):
            return self
        return _LenderView.of(inputs, self.currency)


class _Reads(Mapping[str, MetricValue]):
    """A mapping that remembers which keys were looked up."""

    def __init__(self, data: Mapping[str, MetricValue]) -> None:
        self._data, self.read = data, set[str]()

    def __getitem__(self, key: str) -> MetricValue:
        self.read.add(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a lender assessment must look metrics up by key")

    def __len__(self) -> int:
        return len(self._data)


def _eligible(fits: Iterable[LenderFit]) -> tuple[str, ...]:
    return tuple(f.key for f in fits if f.status == "eligible")


def assess_inputs(
    inputs: Mapping[str, MetricValue], currency: str | None, notes: Mapping[str, str] | None
) -> Assessment:
    """The assessment of inputs already prepared (`scoring_inputs`): a stored score's inputs give
    that score again, their data age as it was when scored."""
    return Assessment(
        score=score_inputs(inputs, currency, notes),
        lender_fit=tuple(assess_lenders(inputs, currency)),
        inputs=inputs,
        currency=currency,
        notes=notes or {},
    )


def apply_outcome(
    inputs: Mapping[str, MetricValue], outcome: Mapping[str, MetricValue]
) -> dict[str, MetricValue]:
    """Published metrics change through the what-if engine, so their dependents follow; the
    score's own derived inputs (data age, currency coverage) are set directly."""
    changes = [
        Change(metric, "set", Decimal(value), f"{metric}={value}")
        for metric, value in outcome.items()
        if metric in METRICS and isinstance(value, int | Decimal)
    ]
    out = apply_changes(inputs, changes)
    out.update({m: v for m, v in outcome.items() if m not in METRICS})
    return out


def _recommendation(action: Action, gain: int, unlocks: tuple[str, ...]) -> Recommendation:
    return Recommendation(
        key=action.key,
        title=action.title,
        trigger=action.trigger,
        effort=action.effort,
        takes_effect=action.takes_effect,
        article=action.article,
        expected_gain=gain,
        unlocks=unlocks,
    )
