"""What the dashboard reads: stored scores, metric series, recommendations, notifications and the
state of ingestion — never computed here, only read, each in one or two indexed statements.

"The current score" is the latest scored day under the repository's score model version: a model
change starts a new history rather than mixing two scales. Metric series read one metric policy
version the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.db.prepared import run_prepared

# The latest score under the model, the linked account, the newest Stripe event, the latest
# backfill run and its month windows: one statement, each part read through an index
# (readiness_scores' key, stripe_connections' business, stripe_events (business_id, created),
# job_runs (business_id, kind, started_at), backfill_checkpoints' key). Every dashboard load reads
# it, so it is prepared once per pooled connection (vaultra.db.prepared): planning it again each
# time cost more than running it.
_SUMMARY = """
    SELECT s.as_of, s.score, s.confidence, s.components, s.top_factors, s.missing, s.currency,
           s.computed_at AS scored_at, s.inputs ->> 'data_through' AS data_through,
           s.inputs ->> 'last_synced_at' AS last_synced_at,
           c.account_id, c.livemode,
           (SELECT max(e.created) FROM stripe_events e WHERE e.business_id = b.id)
             AS last_event_at,
           j.status AS backfill_status, j.started_at AS backfill_started_at,
           j.finished_at AS backfill_finished_at,
           coalesce(w.months_done, 0) AS months_done, coalesce(w.objects, 0) AS objects
    FROM businesses b
    LEFT JOIN LATERAL (
        SELECT as_of, score, confidence, components, top_factors, missing, currency, computed_at,
               inputs
        FROM readiness_scores
        WHERE business_id = b.id AND model_version = :mv ORDER BY as_of DESC LIMIT 1
    ) s ON true
    LEFT JOIN LATERAL (
        SELECT account_id, livemode FROM stripe_connections
        WHERE business_id = b.id AND deauthorized_at IS NULL
        ORDER BY livemode DESC, created_at DESC LIMIT 1
    ) c ON true
    LEFT JOIN LATERAL (
        SELECT status, started_at, finished_at FROM job_runs
        WHERE business_id = b.id AND kind = 'backfill' ORDER BY started_at DESC LIMIT 1
    ) j ON true
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE done) AS months_done, sum(objects) AS objects
        FROM (SELECT bool_and(completed_at IS NOT NULL) AS done, sum(objects) AS objects
              FROM backfill_checkpoints WHERE business_id = b.id GROUP BY window_start) m
    ) w ON true
    WHERE b.id = :b
"""
# The latest score with what it was computed from, and the metric run's reasons for its nulls.
_LATEST_SCORE = text(
    """
    SELECT s.as_of, s.score, s.inputs, s.currency, s.lender_fit, s.lender_criteria_version,
           coalesce(r.notes, '{}'::jsonb) AS notes
    FROM readiness_scores s
    LEFT JOIN metric_runs r ON r.business_id = s.business_id AND r.as_of = s.as_of
         AND r.policy_version = s.metrics_policy_version
    WHERE s.business_id = :b AND s.model_version = :mv
    ORDER BY s.as_of DESC LIMIT 1
    """
)
# Without `to`, the history ends at the latest scored day; without `from`, a year before `to`.
_SCORE_HISTORY = text(
    """
    WITH bounds AS (
        SELECT coalesce(CAST(:to AS date),
                        (SELECT max(as_of) FROM readiness_scores
                         WHERE business_id = :b AND model_version = :mv)) AS last_day
    )
    SELECT s.as_of, s.score, s.confidence
    FROM readiness_scores s, bounds
    WHERE s.business_id = :b AND s.model_version = :mv
      AND s.as_of <= bounds.last_day
      AND s.as_of >= coalesce(CAST(:from AS date), bounds.last_day - CAST(:default_days AS integer))
    ORDER BY s.as_of
    """
)
_LATEST_METRIC_DAY = text(
    "SELECT max(as_of) FROM metric_snapshots "
    "WHERE business_id = :b AND metric = :m AND policy_version = :v"
)
# Daily: every stored day. Monthly: the latest stored day of each calendar month.
_SERIES = text(
    """
    SELECT DISTINCT ON (bucket) as_of, value, currency, note
    FROM (
        SELECT s.as_of, s.value, r.currency, r.notes ->> s.metric AS note,
               date_trunc(:bucket, s.as_of) AS bucket
        FROM metric_snapshots s
        JOIN metric_runs r ON r.business_id = s.business_id AND r.as_of = s.as_of
             AND r.policy_version = s.policy_version
        WHERE s.business_id = :b AND s.metric = :m AND s.policy_version = :v
          AND s.as_of BETWEEN :from AND :to
    ) days
    ORDER BY bucket, as_of DESC
    """
)
# The recommendations the data triggers now, in plan order; this week's plan is the first
# `:week` of them the founder has not closed (vaultra.services.readiness.this_week).
_RECOMMENDATIONS = text(
    """
    SELECT * FROM (
        SELECT key, status, rank, title, expected_gain, effort, takes_effect, article,
               detail ->> 'trigger' AS trigger,
               coalesce(detail -> 'unlocks', '[]'::jsonb) AS unlocks,
               as_of, status_changed_at,
               status = 'open'
                 AND row_number() OVER (PARTITION BY status = 'open' ORDER BY rank) <= :week
                 AS this_week
        FROM recommendations
        WHERE business_id = :b AND active
    ) r
    WHERE CAST(:key AS text) IS NULL OR r.key = CAST(:key AS text)
    ORDER BY r.rank
    """
)
_NOTIFICATION_COLUMNS = "id, kind, severity, as_of, title, body, data, created_at, read_at"
# Newest first; the cursor is the last item's (created_at, id).
_NOTIFICATIONS = text(
    f"""
    SELECT {_NOTIFICATION_COLUMNS} FROM notifications
    WHERE business_id = :b AND (NOT :unread_only OR read_at IS NULL)
      AND (CAST(:before_at AS timestamptz) IS NULL
           OR (created_at, id) < (CAST(:before_at AS timestamptz), CAST(:before_id AS uuid)))
    ORDER BY created_at DESC, id DESC
    LIMIT :n
    """
)
_UNREAD = text("SELECT count(*) FROM notifications WHERE business_id = :b AND read_at IS NULL")
_NOTIFICATION = text(
    f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications WHERE business_id = :b AND id = :id"
)


@dataclass(frozen=True)
class SummaryRow:
    as_of: date | None
    score: int | None
    confidence: str | None
    components: list[dict[str, Any]] | None
    top_factors: list[dict[str, Any]] | None
    missing: list[str] | None
    currency: str | None
    scored_at: datetime | None
    data_through: str | None
    last_synced_at: str | None
    account_id: str | None
    livemode: bool | None
    last_event_at: datetime | None
    backfill_status: str | None
    backfill_started_at: datetime | None
    backfill_finished_at: datetime | None
    months_done: int
    objects: int


@dataclass(frozen=True)
class LatestScore:
    as_of: date
    score: int
    inputs: dict[str, Any]  # as stored: JSON values
    currency: str | None
    lender_fit: list[dict[str, Any]]
    lender_criteria_version: str
    notes: dict[str, str]


@dataclass(frozen=True)
class ScorePoint:
    as_of: date
    score: int
    confidence: str


@dataclass(frozen=True)
class MetricPoint:
    as_of: date
    value: Any  # as stored: JSON
    currency: str | None
    note: str | None  # why the value is null


@dataclass(frozen=True)
class RecommendationRow:
    key: str
    status: str
    rank: int
    title: str
    expected_gain: int
    effort: str
    takes_effect: str
    article: str
    trigger: str | None
    unlocks: list[str]
    as_of: date
    status_changed_at: datetime | None
    this_week: bool


@dataclass(frozen=True)
class NotificationRow:
    id: uuid.UUID
    kind: str
    severity: str
    as_of: date
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class DashboardQueries:
    def __init__(self, conn: Connection, model_version: str, policy_version: str) -> None:
        self._conn = conn
        self._model = model_version
        self._policy = policy_version

    def summary(self, business_id: uuid.UUID) -> SummaryRow | None:
        """None when the business does not exist."""
        rows = run_prepared(self._conn, _SUMMARY, b=business_id, mv=self._model)
        return SummaryRow(*rows[0]) if rows else None

    def latest_score(self, business_id: uuid.UUID) -> LatestScore | None:
        row = self._conn.execute(_LATEST_SCORE, {"b": business_id, "mv": self._model}).one_or_none()
        return LatestScore(**row._asdict()) if row is not None else None

    def score_history(
        self, business_id: uuid.UUID, start: date | None, end: date | None, *, default_days: int
    ) -> list[ScorePoint]:
        params = {
            "b": business_id,
            "mv": self._model,
            "from": start,
            "to": end,
            "default_days": default_days,
        }
        return [ScorePoint(*row) for row in self._conn.execute(_SCORE_HISTORY, params)]

    def latest_metric_day(self, business_id: uuid.UUID, metric: str) -> date | None:
        day: date | None = self._conn.execute(
            _LATEST_METRIC_DAY, {"b": business_id, "m": metric, "v": self._policy}
        ).scalar()
        return day

    def metric_series(
        self, business_id: uuid.UUID, metric: str, start: date, end: date, *, monthly: bool
    ) -> list[MetricPoint]:
        params = {
            "b": business_id,
            "m": metric,
            "v": self._policy,
            "from": start,
            "to": end,
            "bucket": "month" if monthly else "day",
        }
        return [MetricPoint(*row) for row in self._conn.execute(_SERIES, params)]

    def recommendations(
        self, business_id: uuid.UUID, *, this_week: int, key: str | None = None
    ) -> list[RecommendationRow]:
        """The active recommendations in plan order (or the one with `key`, if active).
        `this_week` is computed over all of them, so one row read alone still says it."""
        rows = self._conn.execute(
            _RECOMMENDATIONS, {"b": business_id, "week": this_week, "key": key}
        )
        return [RecommendationRow(**row._asdict()) for row in rows]

    def notifications(
        self,
        business_id: uuid.UUID,
        *,
        unread_only: bool,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[NotificationRow]:
        rows = self._conn.execute(
            _NOTIFICATIONS,
            {
                "b": business_id,
                "unread_only": unread_only,
                "before_at": before[0] if before else None,
                "before_id": str(before[1]) if before else None,
                "n": limit,
            },
        )
        return [NotificationRow(**row._asdict()) for row in rows]

    def unread_count(self, business_id: uuid.UUID) -> int:
        return int(self._conn.execute(_UNREAD, {"b": business_id}).scalar_one())

    def notification(
        self, business_id: uuid.UUID, notification_id: uuid.UUID
    ) -> NotificationRow | None:
        row = self._conn.execute(
            _NOTIFICATION, {"b": business_id, "id": notification_id}
        ).one_or_none()
        return NotificationRow(**row._asdict()) if row is not None else None
