"""Job runs (`job_runs`): one row per background job run, keyed by the triggering message for
idempotency — a redelivered message whose run succeeded is a no-op."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, text

_START = text(
    "INSERT INTO job_runs (kind, idempotency_key, business_id, status) "
    "VALUES (:k, :key, :b, 'running') ON CONFLICT (idempotency_key) DO UPDATE SET "
    "attempts = job_runs.attempts + 1, status = 'running', started_at = now(), "
    "error = NULL WHERE job_runs.status <> 'succeeded' RETURNING id"
)
_FINISH = text(
    "UPDATE job_runs SET status = :s, error = :e, detail = CAST(:d AS jsonb), "
    "finished_at = now() WHERE id = :id"
)


class JobRuns:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def start(
        self, kind: str, idempotency_key: str, business_id: uuid.UUID | None
    ) -> uuid.UUID | None:
        """Record a run; None when a run with this key already succeeded (a redelivery)."""
        run_id: uuid.UUID | None = self._conn.execute(
            _START, {"k": kind, "key": f"{kind}:{idempotency_key}", "b": business_id}
        ).scalar()
        return run_id

    def finish(
        self,
        run_id: uuid.UUID,
        *,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._conn.execute(
            _FINISH,
            {
                "s": "failed" if error else "succeeded",
                "e": error,
                "d": json.dumps(detail) if detail is not None else None,
                "id": run_id,
            },
        )
