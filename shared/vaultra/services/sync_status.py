"""How far a business's Stripe import has come, as the founder follows it.

- `idle`: nothing connected, or the connection was revoked (the data imported so far stays);
- `importing`: the history is being imported — requested and not finished (a backfill window by
  window, or demo data), or linked with no import run yet and no score;
- `ready`: the import finished (live changes follow through webhooks);
- `failed`: the latest import stopped; `error` says why, with anything key-like masked.

`first_score_ready` is separate: a backfill announces its first three months before it finishes, so
a first score often exists while the rest of the history is still importing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from vaultra.db.unit_of_work import Database
from vaultra.services.backfill import RESOURCES
from vaultra.services.businesses import is_demo_account

SyncState = Literal["idle", "importing", "ready", "failed"]
IMPORT_JOBS = ("backfill", "demo_data")
MAX_ERROR = 300
# Keys and tokens as Stripe's messages may quote them, even masked.
_KEY_LIKE = re.compile(r"\b(sk|rk|pk|rt)_(live|test)_[A-Za-z0-9*]+")


@dataclass(frozen=True)
class ResourceProgress:
    months_done: int
    objects: int


@dataclass(frozen=True)
class ConnectionInfo:
    account_id: str
    livemode: bool
    demo: bool
    linked_at: datetime
    disconnected_at: datetime | None


@dataclass(frozen=True)
class SyncStatus:
    state: SyncState
    resources: dict[str, ResourceProgress] = field(default_factory=dict)
    months_done: int = 0
    first_score_ready: bool = False
    last_event_at: datetime | None = None
    error: str | None = None
    connection: ConnectionInfo | None = None


def redacted(message: str) -> str:
    """An error message fit for an answer: anything key-like masked, and short."""
    return _KEY_LIKE.sub("[key]", message)[:MAX_ERROR]


def sync_status(db: Database, business_id: uuid.UUID) -> SyncStatus:
    """The import's progress, read in one snapshot."""
    with db.snapshot() as uow:
        progress = uow.sync_progress
        connection = progress.connection(business_id)
        if connection is None:
            return SyncStatus("idle")
        job = progress.latest_job(business_id, IMPORT_JOBS)
        resources = {
            r.resource: ResourceProgress(r.months_done, r.objects)
            for r in progress.resources(business_id)
        }
        months_done = progress.months_done(business_id, len(RESOURCES))
        last_event_at = progress.last_event_at(business_id)
        scored = progress.scored(business_id)
    if not resources and job is not None and job.detail:
        # Demo data is not imported window by window: its job says what it loaded.
        resources = {
            name: ResourceProgress(int(p["months_done"]), int(p["objects"]))
            for name, p in (job.detail.get("resources") or {}).items()
        }
        months_done = int(job.detail.get("months") or 0)
    state: SyncState
    if connection.deauthorized_at is not None:
        state = "idle"
    elif job is None:
        state = "ready" if scored else "importing"
    elif job.status == "running":
        state = "importing"
    elif job.status == "failed":
        state = "failed"
    else:
        state = "ready"
    error = job.error if state == "failed" and job is not None else None
    return SyncStatus(
        state=state,
        resources=resources,
        months_done=months_done,
        first_score_ready=scored,
        last_event_at=last_event_at,
        error=redacted(error) if error else None,
        connection=ConnectionInfo(
            connection.account_id,
            connection.livemode,
            is_demo_account(connection.account_id),
            connection.linked_at,
            connection.deauthorized_at,
        ),
    )
