"""Background job runs, keyed by their triggering message: a redelivery of a message whose run
succeeded is a no-op; a failed or interrupted run is started again (and resumes from its own
checkpoints, where it has any)."""

from __future__ import annotations

import uuid
from typing import Any

from vaultra.db.unit_of_work import Database


class Jobs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(
        self, kind: str, idempotency_key: str, business_id: uuid.UUID | None
    ) -> uuid.UUID | None:
        """Record a run; None when a run with this key already succeeded (a redelivery)."""
        with self._db.transaction() as uow:
            return uow.jobs.start(kind, idempotency_key, business_id)

    def finish(
        self,
        run_id: uuid.UUID,
        *,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self._db.transaction() as uow:
            uow.jobs.finish(run_id, error=error, detail=detail)
