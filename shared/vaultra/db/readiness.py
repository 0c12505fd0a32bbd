"""Readiness rows (`readiness_scores`, `recommendations`, `notifications`).

A score row per (business, day, model version) is replaced by a rescoring; recommendations are
keyed (business, key) so a recompute never resets the founder's status; an alert is keyed
(business, dedupe key) so it is raised once whatever the redeliveries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.db import locks
from vaultra.db.locks import Locks
from vaultra.db.metric_runs import VALUES_OF_RUN, stored_metrics
from vaultra.db.prepared import run_prepared
from vaultra.domain.alerts import Alert
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.metrics.stored import StoredMetrics, from_json
from vaultra.domain.numbers import json_value
from vaultra.domain.readiness import Assessment, Recommendation

# What a scoring reads, once it holds the business's lock, in one statement: the day's metric run
# with its values, the business's latest score before the day (what alerts compare with) and
# whether a later day is scored already (then recommendations and alerts follow that day, not
# this one). No row: no metrics of that day under that policy. Prepared, as every scoring runs it.
_SCORING_STATE = f"""
    SELECT r.currency, r.notes, r.computed_at, {VALUES_OF_RUN} AS metric_values,
           p.as_of AS previous_as_of, p.score AS previous_score, p.inputs AS previous_inputs,
           EXISTS (SELECT 1 FROM readiness_scores l
                   WHERE l.business_id = r.business_id AND l.model_version = :mv
                     AND l.as_of > r.as_of) AS later_exists
    FROM metric_runs r
    LEFT JOIN LATERAL (
        SELECT as_of, score, inputs FROM readiness_scores
        WHERE business_id = r.business_id AND model_version = :mv AND as_of < r.as_of
        ORDER BY as_of DESC LIMIT 1
    ) p ON true
    WHERE r.business_id = CAST(:b AS uuid) AND r.as_of = CAST(:d AS date)
      AND r.policy_version = :pv
"""
# What a scoring writes, in one statement (data-modifying CTEs, all run once and to completion):
# the day's score row, replaced; when the day is current (`:current`), the ranked recommendations
# upserted by key from the score's own list (the founder's status kept) and the others retired —
# disjoint rows, as a plan names an action once — and the alerts inserted unless raised before.
# Returns the dedupe keys raised now. Prepared, as every scoring runs it.
_SAVE_SCORING = """
    WITH score AS (
        INSERT INTO readiness_scores (business_id, as_of, model_version, score, confidence,
            components, top_factors, missing, lender_fit, recommendations, inputs,
            lender_criteria_version, metrics_policy_version, metrics_computed_at, currency,
            computed_at)
        VALUES (CAST(:b AS uuid), CAST(:d AS date), :mv, :score, :confidence,
            CAST(:components AS jsonb), CAST(:top_factors AS jsonb), CAST(:missing AS jsonb),
            CAST(:lender_fit AS jsonb), CAST(:recommendations AS jsonb), CAST(:inputs AS jsonb),
            :lv, :pv, CAST(:metrics_at AS timestamptz), :currency, now())
        ON CONFLICT (business_id, as_of, model_version) DO UPDATE SET
          score = EXCLUDED.score, confidence = EXCLUDED.confidence,
          components = EXCLUDED.components, top_factors = EXCLUDED.top_factors,
          missing = EXCLUDED.missing, lender_fit = EXCLUDED.lender_fit,
          recommendations = EXCLUDED.recommendations, inputs = EXCLUDED.inputs,
          lender_criteria_version = EXCLUDED.lender_criteria_version,
          metrics_policy_version = EXCLUDED.metrics_policy_version,
          metrics_computed_at = EXCLUDED.metrics_computed_at, currency = EXCLUDED.currency,
          computed_at = now()
    ),
    plan AS (
        SELECT p.rank, p.r ->> 'key' AS key, p.r
        FROM jsonb_array_elements(CAST(:recommendations AS jsonb)) WITH ORDINALITY AS p(r, rank)
        WHERE CAST(:current AS boolean)
    ),
    upserted AS (
        INSERT INTO recommendations (business_id, key, status, active, rank, title,
            expected_gain, effort, takes_effect, article, detail, as_of, model_version,
            first_seen_at, updated_at)
        SELECT CAST(:b AS uuid), plan.key, 'open', true, plan.rank, plan.r ->> 'title',
            CAST(plan.r ->> 'expected_gain' AS integer), plan.r ->> 'effort',
            plan.r ->> 'takes_effect', plan.r ->> 'article', plan.r, CAST(:d AS date), :mv,
            now(), now()
        FROM plan
        ON CONFLICT (business_id, key) DO UPDATE SET
          active = true, rank = EXCLUDED.rank, title = EXCLUDED.title,
          expected_gain = EXCLUDED.expected_gain, effort = EXCLUDED.effort,
          takes_effect = EXCLUDED.takes_effect, article = EXCLUDED.article,
          detail = EXCLUDED.detail, as_of = EXCLUDED.as_of, model_version = EXCLUDED.model_version,
          updated_at = now()
    ),
    retired AS (
        UPDATE recommendations SET active = false, rank = NULL, updated_at = now()
        WHERE CAST(:current AS boolean) AND business_id = CAST(:b AS uuid) AND active
          AND key NOT IN (SELECT key FROM plan)
    ),
    raised AS (
        INSERT INTO notifications (business_id, kind, dedupe_key, severity, as_of, title, body,
            data)
        SELECT CAST(:b AS uuid), a.kind, a.key, a.severity, CAST(:d AS date), a.title, a.body,
            a.data
        FROM jsonb_to_recordset(CAST(:alerts AS jsonb))
          AS a(kind text, key text, severity text, title text, body text, data jsonb)
        ON CONFLICT (business_id, dedupe_key) DO NOTHING
        RETURNING dedupe_key
    )
    SELECT dedupe_key FROM raised
"""
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
_STATUSES = text("SELECT key, status FROM recommendations WHERE business_id = :b")
# A notification read once stays read at that moment: marking it again changes nothing.
_MARK_READ = text(
    "UPDATE notifications SET read_at = coalesce(read_at, now()) "
    "WHERE business_id = :b AND id = :id RETURNING id"
)
_MARK_ALL_READ = text(
    "UPDATE notifications SET read_at = now() WHERE business_id = :b AND read_at IS NULL"
)
# Asked before every scoring (a redelivery, or a burst's earlier announcement, stops here): prepared.
_SCORED_FROM_LATEST = (
    "SELECT EXISTS (SELECT 1 FROM readiness_scores s JOIN metric_runs r "
    "ON r.business_id = s.business_id AND r.as_of = s.as_of "
    "AND r.policy_version = s.metrics_policy_version "
    "WHERE s.business_id = CAST(:b AS uuid) AND s.as_of = CAST(:d AS date) "
    "AND s.model_version = :mv AND s.metrics_policy_version = :pv "
    "AND s.metrics_computed_at = r.computed_at)"
)


@dataclass(frozen=True)
class PreviousScore:
    as_of: date
    score: int
    inputs: dict[str, MetricValue]


@dataclass(frozen=True)
class ScoringState:
    """What a scoring reads under the business's lock."""

    metrics: StoredMetrics
    previous: PreviousScore | None  # the latest score before the day, under this model
    later_exists: bool  # whether a later day is scored under this model


def _alert_row(a: Alert) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "key": a.dedupe_key,
        "severity": a.severity,
        "title": a.title,
        "body": a.body,
        "data": a.data,
    }


class Readiness:
    def __init__(self, conn: Connection, model_version: str) -> None:
        self._conn = conn
        self._version = model_version
        self._locks = Locks(conn)

    def lock_business(self, business_id: uuid.UUID) -> None:
        """Serialize scorings of one business until the transaction ends."""
        self._locks.hold_for_transaction(locks.SCORE, business_id)

    def scoring_state(
        self, business_id: uuid.UUID, as_of: date, policy_version: str
    ) -> ScoringState | None:
        """What scoring `as_of` reads: the day's saved metrics under `policy_version`, the latest
        score before the day and whether a later day is scored; None when no metrics are saved."""
        rows = run_prepared(
            self._conn,
            _SCORING_STATE,
            b=business_id,
            d=as_of,
            mv=self._version,
            pv=policy_version,
        )
        if not rows:
            return None
        (currency, notes, computed_at, values, prev_as_of, prev_score, prev_inputs, later) = rows[0]
        previous = None
        if prev_as_of is not None:
            inputs = {key: from_json(key, value) for key, value in prev_inputs.items()}
            previous = PreviousScore(prev_as_of, prev_score, inputs)
        return ScoringState(
            stored_metrics(currency, notes, computed_at, values), previous, bool(later)
        )

    def save_scoring(
        self,
        business_id: uuid.UUID,
        as_of: date,
        assessment: Assessment,
        recommendations: Sequence[Recommendation],
        *,
        metrics_policy_version: str,
        metrics_computed_at: datetime,
        current: bool,
        alerts: Sequence[Alert] = (),
    ) -> set[str]:
        """Replace the day's score under this model (what it read, said and advised); when the
        day is `current`, also upsert the ranked recommendations (status kept), retire the others
        and insert the alerts not raised before. Returns the dedupe keys raised now."""
        score = assessment.score.to_json()
        rows = run_prepared(
            self._conn,
            _SAVE_SCORING,
            b=business_id,
            d=as_of,
            mv=self._version,
            score=score["score"],
            confidence=score["confidence"],
            components=json.dumps(score["components"]),
            top_factors=json.dumps(score["top_factors"]),
            missing=json.dumps(score["missing"]),
            lender_fit=json.dumps([f.to_json() for f in assessment.lender_fit]),
            recommendations=json.dumps([r.to_json() for r in recommendations]),
            inputs=json.dumps({k: json_value(v) for k, v in assessment.inputs.items()}),
            lv=assessment.lender_criteria_version,
            pv=metrics_policy_version,
            metrics_at=metrics_computed_at,
            currency=assessment.currency,
            current=current,
            alerts=json.dumps([_alert_row(a) for a in alerts] if current else []),
        )
        return {row[0] for row in rows}

    def raise_alerts(self, business_id: uuid.UUID, as_of: date, found: Sequence[Alert]) -> set[str]:
        """Insert the alerts not raised before; returns the dedupe keys that were new."""
        if not found:
            return set()
        alerts = [_alert_row(a) for a in found]
        rows = self._conn.execute(
            _RAISE, {"b": business_id, "d": as_of, "alerts": json.dumps(alerts)}
        )
        return set(rows.scalars())

    def scored_from_latest_run(self, business_id: uuid.UUID, as_of: date, policy: str) -> bool:
        """Whether the day's score under this model read the day's latest run under `policy`."""
        rows = run_prepared(
            self._conn, _SCORED_FROM_LATEST, b=business_id, d=as_of, mv=self._version, pv=policy
        )
        return bool(rows[0][0])

    def set_status(self, business_id: uuid.UUID, key: str, status: str) -> bool:
        """False when no recommendation with that key was made to the business."""
        row = self._conn.execute(_SET_STATUS, {"b": business_id, "key": key, "status": status})
        return row.first() is not None

    def statuses(self, business_id: uuid.UUID) -> dict[str, str]:
        return {r.key: r.status for r in self._conn.execute(_STATUSES, {"b": business_id})}

    def mark_read(self, business_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
        """False when the business has no such notification."""
        row = self._conn.execute(_MARK_READ, {"b": business_id, "id": notification_id})
        return row.first() is not None

    def mark_all_read(self, business_id: uuid.UUID) -> int:
        """How many unread notifications were marked read."""
        return int(self._conn.execute(_MARK_ALL_READ, {"b": business_id}).rowcount)
