"""The Pub/Sub-triggered `score_business`: live Stripe data flows through `compute_metrics` to a
stored score, and a redelivered "metrics computed" writes the same rows and raises nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.events import topics
from vaultra.events.local_bus import get_local_bus
from vaultra.events.messages import DailyRefresh

from tests.functions.test_compute_metrics import (
    capture,
    deliver_charges,
    function,
    push,
    today,
)

# These tests read the clock: they also run at the last second of a month.
pytestmark = pytest.mark.usefixtures("any_clock")


def table(engine: Engine, name: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM {name}")).all()


def test_live_charges_are_scored_once_and_a_redelivery_changes_nothing(
    engine: Engine,
    business: Any,
    webhook_client: Any,
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    computed = capture(topics.METRICS_COMPUTED)
    deliver_charges(webhook_client, 5)
    assert push(function("compute_metrics"), changed[-1]) == 200
    scorer = function("score_business")

    assert push(scorer, computed[0]) == 200
    first = table(engine, "readiness_scores")
    alerts = table(engine, "notifications")
    assert push(scorer, computed[0]) == 200  # redelivered

    [row] = table(engine, "readiness_scores")
    assert (row.business_id, row.as_of, row.model_version) == (business, today(), MODEL_VERSION)
    assert row.score == first[0].score and row.components == first[0].components
    assert sum(c["points"] for c in row.components) == row.score
    # a business days old: history is the largest lost factor, and lender fit says "not yet"
    assert row.top_factors[0]["key"] == "history"
    assert {f["status"] for f in row.lender_fit} <= {"not_yet", "not_a_fit"}
    assert table(engine, "notifications") == alerts


def test_a_message_that_is_not_metrics_computed_is_acknowledged(
    engine: Engine,
    business: Any,
) -> None:
    wrong = capture(topics.DAILY_REFRESH)
    get_local_bus().publish(DailyRefresh())

    assert push(function("score_business"), wrong[0]) == 200
    assert table(engine, "readiness_scores") == []


def test_the_announcements_of_a_burst_are_scored_once_from_the_latest_run(
    engine: Engine, business: Any, webhook_client: Any
) -> None:
    changed = capture(topics.STRIPE_DATA_CHANGED)
    computed = capture(topics.METRICS_COMPUTED)
    compute = function("compute_metrics")
    deliver_charges(webhook_client, 1)
    assert push(compute, changed[0]) == 200
    deliver_charges(webhook_client, 1, first=1)
    assert push(compute, changed[1]) == 200
    assert len(computed) == 2  # two computations, two announcements
    scorer = function("score_business")

    assert push(scorer, computed[0]) == 200  # scores the latest run, which saw both charges
    first = table(engine, "readiness_scores")
    assert push(scorer, computed[1]) == 200  # nothing newer to score

    assert table(engine, "readiness_scores") == first
    with engine.connect() as conn:
        run_at = conn.execute(text("SELECT computed_at FROM metric_runs")).scalar_one()
    assert first[0].metrics_computed_at == run_at
