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

from sqlalchemy import Connection, String, bindparam, text

from vaultra.db import locks
from vaultra.db.locks import Locks
from vaultra.domain.alerts import Alert
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.metrics.stored import from_json
from vaultra.domain.numbers import json_value
from vaultra.domain.readiness import Assessment, Recommendation

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
_STATUSES = text("SELECT key, status FROM recommendations WHERE business_id = :b")
# A notification read once stays read at that moment: marking it again changes nothing.
_MARK_READ = text(
    "UPDATE notifications SET read_at = coalesce(read_at, now()) "
    "WHERE business_id = :b AND id = :id RETURNING id"
)
_MARK_ALL_READ = text(
    "UPDATE notifications SET read_at = now() WHERE business_id = :b AND read_at IS NULL"
)
_SCORED_FROM_LATEST = text(
    "SELECT EXISTS (SELECT 1 FROM readiness_scores s JOIN metric_runs r "
    "ON r.business_id = s.business_id AND r.as_of = s.as_of "
    "AND r.policy_version = s.metrics_policy_version "
    "WHERE s.business_id = :b AND s.as_of = :d AND s.model_version = :mv "
    "AND s.metrics_policy_version = :pv AND s.metrics_computed_at = r.computed_at)"
)


@dataclass(frozen=True)
class PreviousScore:
    as_of: date
    score: int
    inputs: dict[str, MetricValue]


class Readiness:
    def __init__(self, conn: Connection, model_version: str) -> None:
        self._conn = conn
        self._version = model_version
        self._locks = Locks(conn)

    def lock_business(self, business_id: uuid.UUID) -> None:
        """Serialize scorings of one business until the transaction ends."""
        self._locks.hold_for_transaction(locks.SCORE, business_id)

    def previous(self, business_id: uuid.UUID, as_of: date) -> PreviousScore | None:
        row = self._conn.execute(
            _PREVIOUS, {"b": business_id, "d": as_of, "mv": self._version}
        ).one_or_none()
        if row is None:
            return None
        inputs = {key: from_json(key, value) for key, value in row.inputs.items()}
        return PreviousScore(row.as_of, row.score, inputs)

    def later_exists(self, business_id: uuid.UUID, as_of: date) -> bool:
        return bool(
            self._conn.execute(
                _LATER_EXISTS, {"b": business_id, "d": as_of, "mv": self._version}
            ).scalar_one()
        )

    def save_score(
        self,
        business_id: uuid.UUID,
        as_of: date,
        assessment: Assessment,
        recommendations: Sequence[Recommendation],
        *,
        metrics_policy_version: str,
        metrics_computed_at: datetime,
    ) -> None:
        """Replace the day's score under this model: what it read, what it said, what it advised."""
        score = assessment.score.to_json()
        self._conn.execute(
            _SAVE_SCORE,
            {
                "b": business_id,
                "d": as_of,
                "mv": self._version,
                "score": score["score"],
                "confidence": score["confidence"],
                "components": json.dumps(score["components"]),
                "top_factors": json.dumps(score["top_factors"]),
                "missing": json.dumps(score["missing"]),
                "lender_fit": json.dumps([f.to_json() for f in assessment.lender_fit]),
                "recommendations": json.dumps([r.to_json() for r in recommendations]),
                "inputs": json.dumps({k: json_value(v) for k, v in assessment.inputs.items()}),
                "lv": assessment.lender_criteria_version,
                "pv": metrics_policy_version,
                "metrics_at": metrics_computed_at,
                "currency": assessment.currency,
            },
        )

    def replace_recommendations(
        self, business_id: uuid.UUID, as_of: date, ranked: Sequence[Recommendation]
    ) -> None:
        """Upsert the ranked recommendations (status kept) and retire the ones not among them."""
        if ranked:
            self._conn.execute(
                _UPSERT_RECOMMENDATION,
                [
                    {
                        "b": business_id,
                        "d": as_of,
                        "mv": self._version,
                        "rank": rank,
                        "key": r.key,
                        "title": r.title,
                        "gain": r.expected_gain,
                        "effort": r.effort,
                        "takes_effect": r.takes_effect,
                        "article": r.article,
                        "detail": json.dumps(r.to_json()),
                    }
                    for rank, r in enumerate(ranked, start=1)
                ],
            )
        self._conn.execute(_RETIRE_OTHERS, {"b": business_id, "keys": [r.key for r in ranked]})

    def raise_alerts(self, business_id: uuid.UUID, as_of: date, found: Sequence[Alert]) -> set[str]:
        """Insert the alerts not raised before; returns the dedupe keys that were new."""
        if not found:
            return set()
        alerts = [
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
        rows = self._conn.execute(
            _RAISE, {"b": business_id, "d": as_of, "alerts": json.dumps(alerts)}
        )
        return set(rows.scalars())

    def scored_from_latest_run(self, business_id: uuid.UUID, as_of: date, policy: str) -> bool:
        """Whether the day's score under this model read the day's latest run under `policy`."""
        params = {"b": business_id, "d": as_of, "mv": self._version, "pv": policy}
        return bool(self._conn.execute(_SCORED_FROM_LATEST, params).scalar_one())

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
