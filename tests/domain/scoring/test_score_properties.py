"""Properties of the score over generated inputs: improving any single input never lowers it, the
same inputs always give the same score, the components sum to it exactly, and missing data shows as
missing and lowers confidence instead of scoring zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from vaultra.domain.scoring.criteria import Criterion
from vaultra.domain.scoring.model import CRITERIA
from vaultra.domain.scoring.score import QuickScore, score_inputs, score_metrics, total_points

DIRECTION = {m: c.direction for c in CRITERIA.values() for m in c.metrics}
UNIT = {m: c.unit for c in CRITERIA.values() for m in c.metrics}


def _value(metric: str) -> st.SearchStrategy[Any]:
    unit = UNIT[metric]
    if unit == "ratio":
        # ratios from a few basis points to well past every band (growth may be negative)
        low = -50_000 if DIRECTION[metric] == "higher" else 0
        return st.integers(low, 3_000_000).map(lambda n: Decimal(n) / 1_000_000)
    if unit == "money":
        return st.integers(0, 300_000_000)
    return st.integers(0, 400)


INPUTS = st.fixed_dictionaries({m: st.one_of(st.none(), _value(m)) for m in DIRECTION})


def _improved(metric: str, value: Any, step: int) -> Any:
    delta: Any = Decimal(step) / 10_000 if UNIT[metric] == "ratio" else step
    if DIRECTION[metric] == "higher":
        return value + delta
    return max(value - delta, type(value)(0))


@settings(max_examples=400, deadline=None)
@given(
    INPUTS,
    st.sampled_from(sorted(DIRECTION)),
    st.integers(1, 50_000),
    st.sampled_from(["usd", "gbp", "jpy"]),
)
def test_improving_any_single_input_never_lowers_the_score(
    inputs: dict[str, Any], metric: str, step: int, currency: str
) -> None:
    if inputs[metric] is None:  # from None is "data arrives", not an improvement: start at zero
        inputs[metric] = Decimal(0) if UNIT[metric] == "ratio" else 0
    better = {**inputs, metric: _improved(metric, inputs[metric], step)}

    assert score_inputs(better, currency).score >= score_inputs(inputs, currency).score


@settings(max_examples=200, deadline=None)
@given(INPUTS)
def test_the_same_inputs_give_the_same_score_and_components_sum_to_it(
    inputs: dict[str, Any],
) -> None:
    first, second = score_inputs(inputs, "usd"), score_inputs(dict(reversed(inputs.items())), "usd")

    assert first == second
    assert sum(c.points for c in first.components) == first.score
    assert 0 <= first.score <= 100


@settings(max_examples=200, deadline=None)
@given(INPUTS)
def test_missing_data_is_listed_and_lowers_confidence_never_scores_zero(
    inputs: dict[str, Any],
) -> None:
    full = {m: (v if v is not None else _neutral(m)) for m, v in inputs.items()}
    missing = [m for m, v in inputs.items() if v is None]

    scored = score_inputs(inputs, "usd")

    for result in (r for c in scored.components for r in c.criteria):
        if result.status == "no_data":
            assert result.points == result.criterion.neutral_points > 0 or result.max_points == 1
    order = {"high": 2, "medium": 1, "low": 0}
    assert order[scored.confidence] <= order[score_inputs(full, "usd").confidence]
    if all(
        inputs[m] is None
        for c in CRITERIA.values()
        for m in c.metrics
        if c.key == "revenue_retention"
    ):
        assert any("net revenue retention" in line for line in scored.missing)
    assert len(scored.missing) <= len(missing)


def _neutral(metric: str) -> Any:
    return Decimal("0.05") if UNIT[metric] == "ratio" else 1


@given(st.integers(0, 10_000))
def test_newer_data_never_lowers_the_score(hours_newer: int) -> None:
    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    old = (at - timedelta(hours=10_000)).isoformat()
    newer = (at - timedelta(hours=10_000 - hours_newer)).isoformat()

    assert (
        score_metrics({"data_through": newer}, "usd", at).score
        >= score_metrics({"data_through": old}, "usd", at).score
    )


def test_every_scored_metric_has_a_direction() -> None:
    assert all(
        isinstance(c, Criterion) and c.direction in ("higher", "lower") for c in CRITERIA.values()
    )


@settings(max_examples=200, deadline=None)
@given(INPUTS, st.sampled_from(["usd", "jpy"]))
def test_the_quick_total_always_equals_the_explained_score(
    inputs: dict[str, Any], currency: str
) -> None:
    assert total_points(inputs, currency) == score_inputs(inputs, currency).score


@settings(max_examples=200, deadline=None)
@given(INPUTS, INPUTS)
def test_a_quick_rescore_of_a_changed_state_equals_scoring_it_afresh(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    assert QuickScore(before, "usd").rescored(after).total == total_points(after, "usd")
