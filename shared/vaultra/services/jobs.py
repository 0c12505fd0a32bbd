"""Background job runs, keyed by their triggering message: a redelivery of a message whose run
succeeded is a no-op; a failed or interrupted run is started again (and resumes from its own
checkpoints, where it has any)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from vaultra.db.unit_of_work import Database


@dataclass
class JobRun:
    """A run in progress; the block sets what it found (`detail`), or why it failed without
    raising (`error`: a run acknowledged as hopeless)."""

    id: uuid.UUID
    detail: dict[str, Any] | None = None
    error: str | None = None


class Jobs:
    def __init__(self, db: Database) -> None:
        self._db = db

    @contextmanager
    def run(
        self, kind: str, idempotency_key: str, business_id: uuid.UUID | None
    ) -> Iterator[JobRun | None]:
        """Record a run for the block; None when a run with this key already succeeded (a
        redelivery: nothing to do). The run ends failed if the block raises or sets `error`,
        succeeded otherwise."""
        with self._db.transaction() as uow:
            run_id = uow.jobs.start(kind, idempotency_key, business_id)
        if run_id is None:
            yield None
            return
        job = JobRun(run_id)
        try:
            yield job
        except Exception as exc:
            self._finish(job, job.error or str(exc) or type(exc).__name__)
            raise
        self._finish(job, job.error)

    def _finish(self, job: JobRun, error: str | None) -> None:
        with self._db.transaction() as uow:
            uow.jobs.finish(job.id, error=error, detail=job.detail)
