"""How far a business's Stripe import has come, read across the tables that record it: its
connection (`stripe_connections`), its latest import job (`job_runs`), the backfill's windows
(`backfill_checkpoints`), its raw events (`stripe_events`) and its scores (`readiness_scores`).
Reads only; `vaultra.services.onboarding` turns them into a state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, text

from vaultra.db.businesses import ConnectionRow

_CONNECTION = text(
    "SELECT account_id, livemode, linked_at, deauthorized_at FROM stripe_connections "
    "WHERE business_id = :b"
)
_LATEST_JOB = text(
    "SELECT kind, status, error, started_at, finished_at, detail FROM job_runs "
    "WHERE business_id = :b AND kind IN :kinds ORDER BY started_at DESC, id DESC LIMIT 1"
).bindparams(bindparam("kinds", type_=String(), expanding=True))
_RESOURCES = text(
    "SELECT resource, count(*) FILTER (WHERE completed_at IS NOT NULL) AS months_done, "
    "coalesce(sum(objects), 0) AS objects FROM backfill_checkpoints WHERE business_id = :b "
    "GROUP BY resource ORDER BY resource"
)
# A month is done when every resource imported in it is complete.
_MONTHS_DONE = text(
    "SELECT count(*) FROM (SELECT window_start FROM backfill_checkpoints WHERE business_id = :b "
    "GROUP BY window_start HAVING count(*) >= :n AND bool_and(completed_at IS NOT NULL)) AS done"
)
_LAST_EVENT = text("SELECT max(created) FROM stripe_events WHERE business_id = :b")
# The latest day with metrics is scored: an imported history's month ends are scored too, beside
# it and sometimes first, and a first score shown must be today's, not last month's.
_SCORED = text(
    "SELECT EXISTS (SELECT 1 FROM readiness_scores s WHERE s.business_id = :b "
    "AND s.model_version = :mv "
    "AND s.as_of >= (SELECT max(r.as_of) FROM metric_runs r WHERE r.business_id = :b))"
)


@dataclass(frozen=True)
class JobRow:
    kind: str
    status: str  # running | succeeded | failed
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class ResourceRow:
    resource: str
    months_done: int
    objects: int


class SyncProgress:
    def __init__(self, conn: Connection, model_version: str) -> None:
        self._conn = conn
        self._model_version = model_version

    def connection(self, business_id: uuid.UUID) -> ConnectionRow | None:
        row = self._conn.execute(_CONNECTION, {"b": business_id}).one_or_none()
        return ConnectionRow(*row) if row else None

    def latest_job(self, business_id: uuid.UUID, kinds: tuple[str, ...]) -> JobRow | None:
        row = self._conn.execute(_LATEST_JOB, {"b": business_id, "kinds": list(kinds)}).first()
        return JobRow(*row) if row else None

    def resources(self, business_id: uuid.UUID) -> list[ResourceRow]:
        rows = self._conn.execute(_RESOURCES, {"b": business_id}).all()
        return [ResourceRow(r.resource, int(r.months_done), int(r.objects)) for r in rows]

    def months_done(self, business_id: uuid.UUID, resources: int) -> int:
        """Months in which all `resources` are imported."""
        return int(
            self._conn.execute(_MONTHS_DONE, {"b": business_id, "n": resources}).scalar_one()
        )

    def last_event_at(self, business_id: uuid.UUID) -> datetime | None:
        value: datetime | None = self._conn.execute(_LAST_EVENT, {"b": business_id}).scalar()
        return value

    def scored(self, business_id: uuid.UUID) -> bool:
        """Whether the business's latest day with metrics is scored under the current model."""
        params = {"b": business_id, "mv": self._model_version}
        return bool(self._conn.execute(_SCORED, params).scalar_one())
