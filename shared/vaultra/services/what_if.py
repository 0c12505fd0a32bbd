"""What-if with typed changes: the API's `{"metric", "set" | "change_by" | "change_by_percent"}`
mapped onto the domain's changes (`vaultra.domain.scoring.whatif.Change`), applied to the inputs
of the business's latest score. Nothing is saved.

Starting from the stored score's own inputs — not from a fresh metric run — makes "before" the
very score the dashboard shows, so the difference is the changes' alone.

Units are those of every API output: money in integer minor units of the business's currency,
ratios as fractions (0.003 is 0.3 %), counts as whole numbers. `change_by_percent` is relative to
the current value for every kind (a ratio of 0.010 changed by −20 % is 0.008).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from vaultra.db.unit_of_work import Database
from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.metrics.stored import from_json
from vaultra.domain.numbers import json_value
from vaultra.domain.readiness import Assessment, assess_inputs, simulate
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.domain.scoring.whatif import SIMULABLE, Change, WhatIfError
from vaultra.services.dashboard import NotScoredYet
from vaultra.services.tenancy import Access

__all__ = ["MetricChange", "NotScoredYet", "WhatIf", "WhatIfError", "WhatIfResult"]

Op = Literal["set", "change_by", "change_by_percent"]
WHOLE = ("money", "count")


@dataclass(frozen=True)
class MetricChange:
    metric: str
    op: Op
    value: Decimal


@dataclass(frozen=True)
class ComponentMove:
    key: str
    title: str
    points_before: int
    points_after: int
    max_points: int
    explanation: str  # after the changes


@dataclass(frozen=True)
class LenderMove:
    key: str
    lender: str
    product: str
    status_before: str
    status_after: str
    unmet: list[dict[str, Any]]  # after the changes
    offer: dict[str, Any] | None  # after the changes


@dataclass(frozen=True)
class InputMove:
    metric: str
    before: Any  # JSON values
    after: Any


@dataclass(frozen=True)
class WhatIfResult:
    as_of: date
    model_version: str
    currency: str | None
    score_before: int
    score_after: int
    confidence_before: str
    confidence_after: str
    components: list[ComponentMove]
    lender_fit: list[LenderMove]
    inputs_changed: list[InputMove]


def domain_change(index: int, change: MetricChange) -> Change:
    """The domain's change for the `index`-th requested one; `WhatIfError` names it when it
    cannot be simulated."""
    where = f"changes[{index}] ({change.metric})"
    definition = BY_KEY.get(change.metric)
    if definition is None:
        raise WhatIfError(f"{where!r}: {change.metric!r} is not a metric")
    if definition.kind not in SIMULABLE:
        raise WhatIfError(
            f"{where!r}: {change.metric} is a {definition.kind} and cannot be simulated"
        )
    value = change.value
    if change.op == "change_by_percent":
        if value < -100:
            raise WhatIfError(f"{where!r}: a value cannot fall by more than 100 %")
        return Change(change.metric, "scale", 1 + value / 100, where)
    if definition.kind in WHOLE and value != value.to_integral_value():
        unit = "minor units" if definition.kind == "money" else "a count"
        raise WhatIfError(f"{where!r}: {change.metric} is a whole number ({unit})")
    if change.op == "set" and value < 0:
        raise WhatIfError(f"{where!r}: {change.metric} cannot be negative")
    return Change(change.metric, "set" if change.op == "set" else "add", value, where)


class WhatIf:
    def __init__(self, db: Database) -> None:
        self._db = db

    def simulate(self, access: Access, changes: Sequence[MetricChange]) -> WhatIfResult:
        """The latest score, and the one the changes would give; `NotScoredYet` without a
        score, `WhatIfError` naming the first change that cannot be made."""
        domain_changes = [domain_change(i, c) for i, c in enumerate(changes)]
        with self._db.snapshot() as uow:
            latest = uow.dashboard.latest_score(access.business_id)
        if latest is None:
            raise NotScoredYet("the business has no score yet to start from")
        inputs = {key: from_json(key, value) for key, value in latest.inputs.items()}
        before = assess_inputs(inputs, latest.currency, latest.notes)
        after = simulate(before, domain_changes)
        return WhatIfResult(
            as_of=latest.as_of,
            model_version=MODEL_VERSION,
            currency=latest.currency,
            score_before=before.score.score,
            score_after=after.score.score,
            confidence_before=before.score.confidence,
            confidence_after=after.score.confidence,
            components=_component_moves(before, after),
            lender_fit=_lender_moves(before, after),
            inputs_changed=_input_moves(before.inputs, after.inputs),
        )


def _component_moves(before: Assessment, after: Assessment) -> list[ComponentMove]:
    """Every component of either side (a ceiling may come or go), in the order after shows."""
    was = {c.key: c.points for c in before.score.components}
    moves = [
        ComponentMove(c.key, c.title, was.get(c.key, 0), c.points, c.max_points, c.explanation)
        for c in after.score.components
    ]
    now = {c.key for c in after.score.components}
    moves += [
        ComponentMove(c.key, c.title, c.points, 0, c.max_points, "No longer applies.")
        for c in before.score.components
        if c.key not in now
    ]
    return moves


def _lender_moves(before: Assessment, after: Assessment) -> list[LenderMove]:
    was = {f.key: f.status for f in before.lender_fit}
    return [
        LenderMove(
            key=f.key,
            lender=f.lender,
            product=f.product,
            status_before=was[f.key],
            status_after=f.status,
            unmet=[gap.to_json() for gap in f.unmet],
            offer=f.offer.to_json() if f.offer is not None else None,
        )
        for f in after.lender_fit
    ]


def _input_moves(
    before: Mapping[str, MetricValue], after: Mapping[str, MetricValue]
) -> list[InputMove]:
    """The published metrics the changes moved, their dependents included (ARR follows MRR)."""
    return [
        InputMove(key, json_value(before.get(key)), json_value(after.get(key)))
        for key in sorted(after)
        if key in BY_KEY and after.get(key) != before.get(key)
    ]
