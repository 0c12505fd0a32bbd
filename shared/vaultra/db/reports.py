"""Lender reports (`reports`) and the stored data they are made from (`readiness_scores`,
`metric_runs`, `metric_snapshots`) — read, never computed: a report says what Vaultra stored.

Every read is scoped by business: a report id of another business is simply not found.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class ReportRow:
    id: uuid.UUID
    business_id: uuid.UUID
    created_by: uuid.UUID | None
    as_of: date
    model_version: str
    pdf_key: str
    csv_key: str
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class StoredScore:
    """A `readiness_scores` row as the report needs it."""

    as_of: date
    model_version: str
    score: int
    confidence: str
    components: list[Any]
    top_factors: list[Any]
    missing: list[Any]
    lender_fit: list[Any]
    lender_criteria_version: str
    metrics_policy_version: str
    metrics_computed_at: datetime
    currency: str | None
    computed_at: datetime


@dataclass(frozen=True)
class StoredRun:
    """One day's metric run: its values (JSON as stored) and the reasons for its nulls."""

    as_of: date
    currency: str | None
    notes: dict[str, str]
    values: dict[str, Any]


_COLUMNS = (
    "id, business_id, created_by, as_of, model_version, pdf_key, csv_key, summary, created_at"
)
_CREATE = text(
    f"INSERT INTO reports (id, business_id, created_by, as_of, model_version, pdf_key, csv_key, "
    f"summary) VALUES (:i, :b, :u, :d, :mv, :pdf, :csv, CAST(:summary AS jsonb)) "
    f"RETURNING {_COLUMNS}"
)
_GET = text(f"SELECT {_COLUMNS} FROM reports WHERE business_id = :b AND id = :i")
# Newest first; the cursor is the last (created_at, id) of the previous page.
_LIST = text(
    f"""
    SELECT {_COLUMNS} FROM reports
    WHERE business_id = :b
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (created_at, id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
    ORDER BY created_at DESC, id DESC
    LIMIT :n
    """
)
_CSV_KEYS = text(
    "SELECT business_id, id, csv_key FROM reports "
    "WHERE business_id = ANY(CAST(:ids AS uuid[])) ORDER BY business_id, created_at, id"
)
_NAME = text("SELECT name FROM businesses WHERE id = :b")
_LATEST_SCORE = text(
    """
    SELECT as_of, model_version, score, confidence, components, top_factors, missing, lender_fit,
           lender_criteria_version, metrics_policy_version, metrics_computed_at, currency,
           computed_at
    FROM readiness_scores
    WHERE business_id = :b AND model_version = :mv
    ORDER BY as_of DESC LIMIT 1
    """
)
# The month ends before `d` that have a run under the policy (the newest `months`), and `d`.
_MONTHLY_RUNS = text(
    """
    WITH days AS (
      (SELECT as_of FROM metric_runs
       WHERE business_id = :b AND policy_version = :pv AND as_of < :d
         AND as_of = (date_trunc('month', as_of) + interval '1 month - 1 day')::date
       ORDER BY as_of DESC LIMIT :months)
      UNION SELECT CAST(:d AS date)
    )
    SELECT r.as_of, r.currency, r.notes,
           coalesce(jsonb_object_agg(s.metric, s.value) FILTER (WHERE s.metric IS NOT NULL),
                    '{}'::jsonb) AS metric_values
    FROM metric_runs r
    JOIN days ON days.as_of = r.as_of
    LEFT JOIN metric_snapshots s ON s.business_id = r.business_id AND s.as_of = r.as_of
         AND s.policy_version = r.policy_version
    WHERE r.business_id = :b AND r.policy_version = :pv
    GROUP BY r.as_of, r.currency, r.notes
    ORDER BY r.as_of
    """
)
_SCORES_ON = text(
    "SELECT as_of, score, components FROM readiness_scores "
    "WHERE business_id = :b AND model_version = :mv AND as_of = ANY(CAST(:days AS date[])) "
    "ORDER BY as_of"
)


class Reports:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(
        self,
        report_id: uuid.UUID,
        business_id: uuid.UUID,
        *,
        created_by: uuid.UUID,
        as_of: date,
        model_version: str,
        pdf_key: str,
        csv_key: str,
        summary: dict[str, Any],
    ) -> ReportRow:
        row = self._conn.execute(
            _CREATE,
            {
                "i": report_id,
                "b": business_id,
                "u": created_by,
                "d": as_of,
                "mv": model_version,
                "pdf": pdf_key,
                "csv": csv_key,
                "summary": json.dumps(summary),
            },
        ).one()
        return ReportRow(*row)

    def get(self, business_id: uuid.UUID, report_id: uuid.UUID) -> ReportRow | None:
        row = self._conn.execute(_GET, {"b": business_id, "i": report_id}).one_or_none()
        return ReportRow(*row) if row else None

    def page(
        self, business_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[ReportRow]:
        rows = self._conn.execute(
            _LIST,
            {
                "b": business_id,
                "after_at": after[0] if after else None,
                "after_id": str(after[1]) if after else None,
                "n": limit,
            },
        ).all()
        return [ReportRow(*row) for row in rows]

    def csv_keys_of(self, business_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        """(business, report, CSV key) of every report of the businesses."""
        ids = "{" + ",".join(str(b) for b in business_ids) + "}"
        return [(r[0], r[1], r[2]) for r in self._conn.execute(_CSV_KEYS, {"ids": ids})]

    # --- what a report is made from -------------------------------------------------------

    def business_name(self, business_id: uuid.UUID) -> str | None:
        name = self._conn.execute(_NAME, {"b": business_id}).scalar()
        return str(name) if name is not None else None

    def latest_score(self, business_id: uuid.UUID, model_version: str) -> StoredScore | None:
        row = self._conn.execute(
            _LATEST_SCORE, {"b": business_id, "mv": model_version}
        ).one_or_none()
        return StoredScore(*row) if row else None

    def monthly_runs(
        self, business_id: uuid.UUID, policy_version: str, through: date, *, months: int
    ) -> list[StoredRun]:
        """The runs of up to `months` month ends before `through`, and of `through`, oldest
        first."""
        rows = self._conn.execute(
            _MONTHLY_RUNS, {"b": business_id, "pv": policy_version, "d": through, "months": months}
        ).all()
        return [StoredRun(r.as_of, r.currency, dict(r.notes), dict(r.metric_values)) for r in rows]

    def scores_on(
        self, business_id: uuid.UUID, model_version: str, days: list[date]
    ) -> dict[date, tuple[int, list[Any]]]:
        """The score and components of each of `days` that was scored under the model."""
        rows = self._conn.execute(
            _SCORES_ON,
            {"b": business_id, "mv": model_version, "days": "{" + ",".join(map(str, days)) + "}"},
        ).all()
        return {r.as_of: (r.score, list(r.components)) for r in rows}
