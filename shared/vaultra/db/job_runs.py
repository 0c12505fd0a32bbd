"""Job runs: one row per background job run, keyed by the triggering message for idempotency."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Engine, text


def start_job(
    engine: Engine, kind: str, idempotency_key: str, business_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Record a run; returns None when a run with this key already succeeded (a redelivery)."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO job_runs (kind, idempotency_key, business_id, status) "
                "VALUES (:k, :key, :b, 'running') ON CONFLICT (idempotency_key) DO UPDATE SET "
                "attempts = job_runs.attempts + 1, status = 'running', started_at = now(), "
                "error = NULL WHERE job_runs.status <> 'succeeded' RETURNING id"
            ),
            {"k": kind, "key": f"{kind}:{idempotency_key}", "b": business_id},
        ).scalar()


def finish_job(
    engine: Engine,
    run_id: uuid.UUID,
    *,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE job_runs SET status = :s, error = :e, detail = CAST(:d AS jsonb), "
                "finished_at = now() WHERE id = :id"
            ),
            {
                "s": "failed" if error else "succeeded",
                "e": error,
                "d": json.dumps(detail) if detail is not None else None,
                "id": run_id,
            },
        )
