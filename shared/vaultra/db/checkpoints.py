"""Backfill checkpoints (`backfill_checkpoints`): one row per (business, resource, month window),
the last imported id and whether the window is complete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

_ALL = text(
    "SELECT resource, window_start, cursor, objects, completed_at "
    "FROM backfill_checkpoints WHERE business_id = :b"
)
_RESET = text(
    "DELETE FROM backfill_checkpoints WHERE business_id = :b AND resource = :r "
    "AND window_start = :w"
)
_CURSOR = text(
    "SELECT cursor FROM backfill_checkpoints WHERE business_id = :b AND resource = :r "
    "AND window_start = :w"
)
_SAVE = text(
    "INSERT INTO backfill_checkpoints (business_id, resource, window_start, window_end, "
    "cursor, objects, completed_at, updated_at) VALUES (:b, :r, :ws, :we, :c, :n, "
    "CASE WHEN :done THEN now() END, now()) "
    "ON CONFLICT (business_id, resource, window_start) DO UPDATE SET "
    "window_end = excluded.window_end, cursor = coalesce(excluded.cursor, "
    "backfill_checkpoints.cursor), objects = backfill_checkpoints.objects + :n, "
    "completed_at = CASE WHEN :done THEN greatest(now(), excluded.window_end) "
    "ELSE backfill_checkpoints.completed_at END, updated_at = now()"
)


@dataclass(frozen=True)
class Checkpoint:
    cursor: str | None
    objects: int
    completed_at: datetime | None


class BackfillCheckpoints:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self, business_id: uuid.UUID) -> dict[tuple[str, datetime], Checkpoint]:
        rows = self._conn.execute(_ALL, {"b": business_id}).all()
        return {
            (r.resource, r.window_start): Checkpoint(r.cursor, int(r.objects), r.completed_at)
            for r in rows
        }

    def reset(self, business_id: uuid.UUID, resource: str, window_start: datetime) -> None:
        self._conn.execute(_RESET, {"b": business_id, "r": resource, "w": window_start})

    def cursor(self, business_id: uuid.UUID, resource: str, window_start: datetime) -> str | None:
        value = self._conn.execute(
            _CURSOR, {"b": business_id, "r": resource, "w": window_start}
        ).scalar()
        return str(value) if value is not None else None

    def save(
        self,
        business_id: uuid.UUID,
        resource: str,
        window: tuple[datetime, datetime],
        cursor: str | None,
        added: int,
        *,
        completed: bool = False,
    ) -> None:
        """Advance the window's checkpoint by `added` objects; `completed` closes the window."""
        self._conn.execute(
            _SAVE,
            {
                "b": business_id,
                "r": resource,
                "ws": window[0],
                "we": window[1],
                "c": cursor,
                "n": added,
                "done": completed,
            },
        )
