"""Score a business from its saved metrics: the score, lender fit, recommendations and alerts.

One transaction per scoring, serialized per business: the score row for (business, day, model
version) is replaced, recommendations are upserted by key — the founder's status survives — and
alerts are inserted once by their dedupe key. Scoring the same metrics again (a redelivered
"metrics computed") therefore writes the same rows and raises nothing new. The transaction is
three statements: the lock, one read (the metrics, the previous score, whether a later day is
scored) and one write (the score, the recommendations, the alerts).

Recommendations and alerts speak about the present: they follow only the business's latest scored
day, and only when that day is current (within a day of when its metrics were computed). Scoring
the month ends of an imported history stores their scores without replaying a year of alerts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, cast

from vaultra.db.unit_of_work import Database
from vaultra.domain.alerts import Alert, Reading, alerts
from vaultra.domain.metrics.formulas import POLICY_VERSION
from vaultra.domain.metrics.stored import StoredMetrics
from vaultra.domain.readiness import THIS_WEEK, Assessment, Recommendation, assess, recommend
from vaultra.services.metrics import compute_metric_set

Status = Literal["open", "done", "dismissed"]
STATUSES: tuple[Status, ...] = ("open", "done", "dismissed")


class UnknownRecommendation(LookupError):
    """No recommendation with that key was ever made to this business."""


@dataclass(frozen=True)
class Scored:
    business_id: uuid.UUID
    as_of: date
    assessment: Assessment
    recommendations: list[Recommendation]
    current: bool  # whether recommendations and alerts followed this day
    raised: list[Alert]


def assessed_at(as_of: date, computed_at: datetime) -> datetime:
    """The moment the data's age is judged at: when the metrics were computed, or the end of the
    day they describe, whichever is earlier — a past day is judged as it stood that day."""
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    return min(computed_at, end_of_day)


def assess_metrics(stored: StoredMetrics, as_of: date) -> Assessment:
    return assess(
        stored.values, stored.currency, assessed_at(as_of, stored.computed_at), stored.notes
    )


def this_week(
    recommendations: Iterable[Recommendation], statuses: dict[str, Status], count: int = THIS_WEEK
) -> list[Recommendation]:
    """The plan for the week: the best-ranked recommendations the founder has not closed."""
    return [r for r in recommendations if statuses.get(r.key, "open") == "open"][:count]


class Readiness:
    """The readiness use cases over one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def score(self, business_id: uuid.UUID, as_of: date) -> Scored | None:
        """Score the saved metrics of `as_of`; None when there are none (yet) to score."""
        with self._db.transaction() as uow:
            uow.readiness.lock_business(business_id)
            state = uow.readiness.scoring_state(business_id, as_of, POLICY_VERSION)
            if state is None:
                return None
            stored, previous = state.metrics, state.previous
            assessment = assess_metrics(stored, as_of)
            recommendations = recommend(assessment)
            computed_on = stored.computed_at.date()
            current = not state.later_exists and as_of >= computed_on - timedelta(days=1)
            found: list[Alert] = []
            if current:
                reading = Reading(as_of, assessment.score.score, assessment.inputs)
                before = (
                    Reading(previous.as_of, previous.score, previous.inputs) if previous else None
                )
                found = alerts(reading, before)
            new = uow.readiness.save_scoring(
                business_id,
                as_of,
                assessment,
                recommendations,
                metrics_policy_version=POLICY_VERSION,
                metrics_computed_at=stored.computed_at,
                current=current,
                alerts=found,
            )
            raised = [a for a in found if a.dedupe_key in new]
            return Scored(business_id, as_of, assessment, recommendations, current, raised)

    def scored_from_latest_run(self, business_id: uuid.UUID, as_of: date) -> bool:
        """Whether the day's score was computed from the day's latest metric run."""
        with self._db.reads() as uow:  # one statement: no transaction needed
            return uow.readiness.scored_from_latest_run(business_id, as_of, POLICY_VERSION)

    def set_status(self, business_id: uuid.UUID, key: str, status: Status) -> None:
        if status not in STATUSES:
            raise ValueError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
        with self._db.transaction() as uow:
            if uow.readiness.set_status(business_id, key, status):
                return
        raise UnknownRecommendation(f"no recommendation {key!r} was made to this business")

    def statuses(self, business_id: uuid.UUID) -> dict[str, Status]:
        with self._db.transaction() as uow:
            return cast(dict[str, Status], uow.readiness.statuses(business_id))

    def current_metrics(self, business_id: uuid.UUID, as_of: date) -> StoredMetrics:
        """The saved metrics of the day, or — when none are saved — computed from the ledger
        without saving anything (what-if is read-only)."""
        with self._db.snapshot() as uow:
            stored = uow.metrics.load(business_id, as_of)
            if stored is not None:
                return stored
            return StoredMetrics.of(compute_metric_set(uow, business_id, as_of), datetime.now(UTC))
