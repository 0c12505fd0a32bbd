"""Score a business from its saved metrics: the score, lender fit, recommendations and alerts.

One transaction per scoring, serialized per business: the score row for (business, day, model
version) is replaced, recommendations are upserted by key — the founder's status survives — and
alerts are inserted once by their dedupe key. Scoring the same metrics again (a redelivered
"metrics computed") therefore writes the same rows and raises nothing new.

Recommendations and alerts speak about the present: they follow only the business's latest scored
day, and only when that day is current (within a day of when its metrics were computed). Scoring
the month ends of an imported history stores their scores without replaying a year of alerts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, Engine, String, bindparam, text

from vaultra.domain.alerts import Alert, Reading, alerts
from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.formulas import POLICY_VERSION, MetricSet, MetricValue
from vaultra.domain.numbers import json_value
from vaultra.domain.readiness import THIS_WEEK, Assessment, Recommendation, assess, recommend
from vaultra.domain.scoring.model import MODEL_VERSION
from vaultra.services.metrics import compute_metric_set

Status = Literal["open", "done", "dismissed"]
STATUSES: tuple[Status, ...] = ("open", "done", "dismissed")


class UnknownRecommendation(LookupError):
    """No recommendation with that key was ever made to this business."""


@dataclass(frozen=True)
class StoredMetrics:
    values: dict[str, MetricValue]
    notes: dict[str, str]
    currency: str | None
    computed_at: datetime


@dataclass(frozen=True)
class Scored:
    business_id: uuid.UUID
    as_of: date
    assessment: Assessment
    recommendations: list[Recommendation]
    current: bool  # whether recommendations and alerts followed this day
    raised: list[Alert]


_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('vaultra.score'), hashtext(:b))")
_RUN = text(
    "SELECT currency, notes, computed_at FROM metric_runs "
    "WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
_VALUES = text(
    "SELECT metric, value FROM metric_snapshots "
    "WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
_PREVIOUS = text(
    "SELECT as_of, score, inputs FROM readiness_scores "
    "WHERE business_id = :b AND model_version = :mv AND as_of < :d ORDER BY as_of DESC LIMIT 1"
)
_LATER_EXISTS = text(
    "SELECT EXISTS (SELECT 1 FROM readiness_scores "
    "WHERE business_id = :b AND model_version = :mv AND as_of > :d)"
)
_SAVE_SCORE = text(
    """
    INSERT INTO readiness_scores (business_id, as_of, model_version, score, confidence,
        components, top_factors, missing, lender_fit, recommendations, inputs,
        lender_criteria_version, metrics_policy_version, metrics_computed_at, currency, computed_at)
    VALUES (:b, :d, :mv, :score, :confidence, CAST(:components AS jsonb),
        CAST(:top_factors AS jsonb), CAST(:missing AS jsonb), CAST(:lender_fit AS jsonb),
        CAST(:recommendations AS jsonb), CAST(:inputs AS jsonb), :lv, :pv, :metrics_at,
        :currency, now())
    ON CONFLICT (business_id, as_of, model_version) DO UPDATE SET
      score = EXCLUDED.score, confidence = EXCLUDED.confidence,
      components = EXCLUDED.components, top_factors = EXCLUDED.top_factors,
      missing = EXCLUDED.missing, lender_fit = EXCLUDED.lender_fit,
      recommendations = EXCLUDED.recommendations, inputs = EXCLUDED.inputs,
      lender_criteria_version = EXCLUDED.lender_criteria_version,
      metrics_policy_version = EXCLUDED.metrics_policy_version,
      metrics_computed_at = EXCLUDED.metrics_computed_at, currency = EXCLUDED.currency,
      computed_at = now()
    """
)
_UPSERT_RECOMMENDATION = text(
    """
    INSERT INTO recommendations (business_id, key, status, active, rank, title, expected_gain,
        effort, takes_effect, article, detail, as_of, model_version, first_seen_at, updated_at)
    VALUES (:b, :key, 'open', true, :rank, :title, :gain, :effort, :takes_effect, :article,
        CAST(:detail AS jsonb), :d, :mv, now(), now())
    ON CONFLICT (business_id, key) DO UPDATE SET
      active = true, rank = EXCLUDED.rank, title = EXCLUDED.title,
      expected_gain = EXCLUDED.expected_gain, effort = EXCLUDED.effort,
      takes_effect = EXCLUDED.takes_effect, article = EXCLUDED.article,
      detail = EXCLUDED.detail, as_of = EXCLUDED.as_of, model_version = EXCLUDED.model_version,
      updated_at = now()
    """
)
_RETIRE_OTHERS = text(
    "UPDATE recommendations SET active = false, rank = NULL, updated_at = now() "
    "WHERE business_id = :b AND active AND key NOT IN :keys"
).bindparams(bindparam("keys", type_=String(), expanding=True))  # typed: the list may be empty
# All of a scoring's alerts in one statement; RETURNING names the ones not raised before.
_RAISE = text(
    """
    INSERT INTO notifications (business_id, kind, dedupe_key, severity, as_of, title, body, data)
    SELECT :b, a.kind, a.key, a.severity, :d, a.title, a.body, a.data
    FROM jsonb_to_recordset(CAST(:alerts AS jsonb))
      AS a(kind text, key text, severity text, title text, body text, data jsonb)
    ON CONFLICT (business_id, dedupe_key) DO NOTHING
    RETURNING dedupe_key
    """
)
_SET_STATUS = text(
    "UPDATE recommendations SET status = :status, status_changed_at = now() "
    "WHERE business_id = :b AND key = :key RETURNING key"
)


def load_metrics(conn: Connection, business_id: uuid.UUID, as_of: date) -> StoredMetrics | None:
    """The saved metric set of a day under the current metric policy, typed as the domain uses it."""
    params = {"b": business_id, "d": as_of, "v": POLICY_VERSION}
    run = conn.execute(_RUN, params).one_or_none()
    if run is None:
        return None
    values = {row.metric: typed(row.metric, row.value) for row in conn.execute(_VALUES, params)}
    return StoredMetrics(values, dict(run.notes), run.currency, run.computed_at)


def from_metric_set(metrics: MetricSet, computed_at: datetime) -> StoredMetrics:
    return StoredMetrics(dict(metrics.values), dict(metrics.notes), metrics.currency, computed_at)


def typed(key: str, value: Any) -> MetricValue:
    """A metric value read back from JSON: ratios, multiples and indexes are decimals again."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int) and key in BY_KEY and BY_KEY[key].kind in ("ratio", "multiple"):
        return Decimal(value)
    return value


def assessed_at(as_of: date, computed_at: datetime) -> datetime:
    """The moment the data's age is judged at: when the metrics were computed, or the end of the
    day they describe, whichever is earlier — a past day is judged as it stood that day."""
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    return min(computed_at, end_of_day)


def assess_metrics(stored: StoredMetrics, as_of: date) -> Assessment:
    return assess(
        stored.values, stored.currency, assessed_at(as_of, stored.computed_at), stored.notes
    )


def score_business(engine: Engine, business_id: uuid.UUID, as_of: date) -> Scored | None:
    """Score the saved metrics of `as_of`; None when there are none (yet) to score."""
    with engine.begin() as conn:
        conn.execute(_LOCK, {"b": str(business_id)})
        stored = load_metrics(conn, business_id, as_of)
        if stored is None:
            return None
        assessment = assess_metrics(stored, as_of)
        recommendations = recommend(assessment)
        params = {"b": business_id, "d": as_of, "mv": MODEL_VERSION}
        previous = conn.execute(_PREVIOUS, params).one_or_none()
        later = conn.execute(_LATER_EXISTS, params).scalar_one()
        _save_score(conn, params, assessment, recommendations, stored)
        current = not later and as_of >= stored.computed_at.date() - timedelta(days=1)
        raised: list[Alert] = []
        if current:
            _save_recommendations(conn, params, recommendations)
            reading = Reading(as_of, assessment.score.score, assessment.inputs)
            before = (
                Reading(previous.as_of, previous.score, _typed_inputs(previous.inputs))
                if previous
                else None
            )
            raised = _raise(conn, params, alerts(reading, before))
        return Scored(business_id, as_of, assessment, recommendations, current, raised)


def set_recommendation_status(
    engine: Engine, business_id: uuid.UUID, key: str, status: Status
) -> None:
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    with engine.begin() as conn:
        if conn.execute(_SET_STATUS, {"b": business_id, "key": key, "status": status}).first():
            return
    raise UnknownRecommendation(f"no recommendation {key!r} was made to this business")


def recommendation_statuses(conn: Connection, business_id: uuid.UUID) -> dict[str, Status]:
    rows = conn.execute(
        text("SELECT key, status FROM recommendations WHERE business_id = :b"), {"b": business_id}
    )
    return {row.key: row.status for row in rows}


def this_week(
    recommendations: Iterable[Recommendation], statuses: dict[str, Status], count: int = THIS_WEEK
) -> list[Recommendation]:
    """The plan for the week: the best-ranked recommendations the founder has not closed."""
    return [r for r in recommendations if statuses.get(r.key, "open") == "open"][:count]


def _save_score(
    conn: Connection,
    params: dict[str, Any],
    assessment: Assessment,
    recommendations: list[Recommendation],
    stored: StoredMetrics,
) -> None:
    score = assessment.score.to_json()
    conn.execute(
        _SAVE_SCORE,
        {
            **params,
            "score": score["score"],
            "confidence": score["confidence"],
            "components": json.dumps(score["components"]),
            "top_factors": json.dumps(score["top_factors"]),
            "missing": json.dumps(score["missing"]),
            "lender_fit": json.dumps([f.to_json() for f in assessment.lender_fit]),
            "recommendations": json.dumps([r.to_json() for r in recommendations]),
            "inputs": json.dumps({k: json_value(v) for k, v in assessment.inputs.items()}),
            "lv": assessment.lender_criteria_version,
            "pv": POLICY_VERSION,
            "metrics_at": stored.computed_at,
            "currency": assessment.currency,
        },
    )


def _save_recommendations(
    conn: Connection, params: dict[str, Any], recommendations: list[Recommendation]
) -> None:
    if recommendations:
        conn.execute(
            _UPSERT_RECOMMENDATION,
            [
                {
                    **params,
                    "key": r.key,
                    "rank": rank,
                    "title": r.title,
                    "gain": r.expected_gain,
                    "effort": r.effort,
                    "takes_effect": r.takes_effect,
                    "article": r.article,
                    "detail": json.dumps(r.to_json()),
                }
                for rank, r in enumerate(recommendations, start=1)
            ],
        )
    conn.execute(_RETIRE_OTHERS, {"b": params["b"], "keys": [r.key for r in recommendations]})


def _raise(conn: Connection, params: dict[str, Any], found: list[Alert]) -> list[Alert]:
    """Insert the alerts not raised before; the ones that were new."""
    if not found:
        return []
    rows = [
        {
            "kind": a.kind,
            "key": a.dedupe_key,
            "severity": a.severity,
            "title": a.title,
            "body": a.body,
            "data": a.data,
        }
        for a in found
    ]
    new = set(
        conn.execute(
            _RAISE, {"b": params["b"], "d": params["d"], "alerts": json.dumps(rows)}
        ).scalars()
    )
    return [a for a in found if a.dedupe_key in new]


def _typed_inputs(inputs: dict[str, Any]) -> dict[str, MetricValue]:
    return {key: typed(key, value) for key, value in inputs.items()}


def current_metrics(engine: Engine, business_id: uuid.UUID, as_of: date) -> StoredMetrics:
    """The saved metrics of the day, or — when none are saved — computed from the ledger without
    saving anything (what-if is read-only)."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            stored = load_metrics(conn, business_id, as_of)
            if stored is not None:
                return stored
            return from_metric_set(compute_metric_set(conn, business_id, as_of), datetime.now(UTC))
