"""Metric runs and their values (`metric_runs`, `metric_snapshots`), keyed by business, day and
metric policy version. A run replaces the day's values of its version; other versions stay.

`read_snapshot` is the PostgreSQL snapshot a run read: whether it saw a change is answered by
`pg_visible_in_snapshot` (see `vaultra.db.unit_of_work.UnitOfWork.sees`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.db.prepared import run_prepared
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.metrics.stored import StoredMetrics, from_json
from vaultra.domain.numbers import json_value

_LATEST = text(
    "SELECT read_snapshot, published_at, computed_at FROM metric_runs "
    "WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
# `published_at` is set with the run when it is to be announced, and cleared if the announcement
# fails: a redelivered message then finds the run unannounced and announces it (an outbox of one).
_SAVE = text(
    """
    INSERT INTO metric_runs (business_id, as_of, policy_version, currency, read_snapshot, notes,
                             duration_ms, published_at, computed_at)
    VALUES (:b, :d, :v, :currency, :snapshot, CAST(:notes AS jsonb), :ms,
            CASE WHEN :announce THEN now() END, COALESCE(:at, now()))
    ON CONFLICT (business_id, as_of, policy_version) DO UPDATE SET
      currency = EXCLUDED.currency, read_snapshot = EXCLUDED.read_snapshot,
      notes = EXCLUDED.notes, duration_ms = EXCLUDED.duration_ms,
      published_at = EXCLUDED.published_at, computed_at = EXCLUDED.computed_at
    """
)
_SET_PUBLISHED = text(
    "UPDATE metric_runs SET published_at = CASE WHEN :done THEN now() END "
    "WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
_DELETE_VALUES = text(
    "DELETE FROM metric_snapshots WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
_INSERT_VALUES = text(
    """
    INSERT INTO metric_snapshots (business_id, as_of, policy_version, metric, value, computed_at)
    SELECT :b, :d, :v, key, CASE WHEN jsonb_typeof(value) = 'null' THEN NULL ELSE value END, now()
    FROM jsonb_each(CAST(:values AS jsonb))
    """
)
# A saved metric set in one statement: the run and its values as one JSON object (a value stored
# as NULL reads back as JSON null). Prepared (vaultra.db.prepared): every scoring reads one.
VALUES_OF_RUN = (
    "(SELECT coalesce(jsonb_object_agg(s.metric, s.value), CAST('{}' AS jsonb)) "
    "FROM metric_snapshots s WHERE s.business_id = r.business_id AND s.as_of = r.as_of "
    "AND s.policy_version = r.policy_version)"
)
_LOAD = (
    f"SELECT r.currency, r.notes, r.computed_at, {VALUES_OF_RUN} AS metric_values "
    "FROM metric_runs r WHERE r.business_id = CAST(:b AS uuid) AND r.as_of = CAST(:d AS date) "
    "AND r.policy_version = :v"
)
# Whether the day's run saw the ledger's latest change (true when the ledger never changed).
_SEES_LEDGER = text(
    "SELECT coalesce(pg_visible_in_snapshot(CAST(v.changed_xid AS xid8), "
    "CAST(r.read_snapshot AS pg_snapshot)), true) "
    "FROM metric_runs r LEFT JOIN ledger_versions v ON v.business_id = r.business_id "
    "WHERE r.business_id = :b AND r.as_of = :d AND r.policy_version = :v"
)

# Late data (`LedgerVersion`): the stored runs before `:live` that a past change made stale — of a
# day at or after the earliest moment changed, and not seeing the last such change. The month
# ends first (the trend), newest first.
_STALE_DAYS = text(
    """
    SELECT v.past_changed_xid, r.as_of
    FROM ledger_versions v
    LEFT JOIN metric_runs r
      ON r.business_id = v.business_id AND r.policy_version = :v AND r.as_of < :live
     AND r.as_of >= CAST(v.past_changed_from AT TIME ZONE 'UTC' AS date)
     AND NOT pg_visible_in_snapshot(CAST(v.past_changed_xid AS xid8),
                                    CAST(r.read_snapshot AS pg_snapshot))
    WHERE v.business_id = :b AND v.past_changed_xid IS NOT NULL
    ORDER BY r.as_of = CAST(date_trunc('month', r.as_of) + interval '1 month - 1 day' AS date)
             DESC, r.as_of DESC
    """
)
# Only if no past change committed since the runs were listed (it would carry another id).
_CLEAR_PAST = text(
    "UPDATE ledger_versions SET past_changed_from = NULL, past_changed_xid = NULL "
    "WHERE business_id = :b AND past_changed_xid = :x"
)


@dataclass(frozen=True)
class StaleDays:
    """The stored runs a past change made stale, and the last past change they must see."""

    past_change: str
    days: tuple[date, ...]


@dataclass(frozen=True)
class RunState:
    read_snapshot: str
    published_at: datetime | None
    computed_at: datetime


class MetricRuns:
    def __init__(self, conn: Connection, policy_version: str) -> None:
        self._conn = conn
        self._version = policy_version

    def _key(self, business_id: uuid.UUID, as_of: date) -> dict[str, Any]:
        return {"b": business_id, "d": as_of, "v": self._version}

    def state(self, business_id: uuid.UUID, as_of: date) -> RunState | None:
        row = self._conn.execute(_LATEST, self._key(business_id, as_of)).one_or_none()
        if row is None:
            return None
        return RunState(row.read_snapshot, row.published_at, row.computed_at)

    def sees_ledger(self, business_id: uuid.UUID, as_of: date) -> bool:
        """Whether the day's run read the ledger's latest change (False: no run, or stale)."""
        return bool(self._conn.execute(_SEES_LEDGER, self._key(business_id, as_of)).scalar())

    def save(
        self,
        business_id: uuid.UUID,
        as_of: date,
        values: Mapping[str, MetricValue],
        *,
        currency: str | None,
        notes: Mapping[str, str],
        read_snapshot: str,
        duration_ms: int,
        announce: bool = False,
        computed_at: datetime | None = None,
    ) -> None:
        """Replace the day's run and values (`computed_at` defaults to now; tests and benchmarks
        give a fixed one)."""
        key = self._key(business_id, as_of)
        self._conn.execute(
            _SAVE,
            {
                **key,
                "currency": currency,
                "snapshot": read_snapshot,
                "notes": json.dumps(dict(notes)),
                "ms": duration_ms,
                "announce": announce,
                "at": computed_at,
            },
        )
        self._conn.execute(_DELETE_VALUES, key)
        stored = {name: json_value(value) for name, value in values.items()}
        self._conn.execute(_INSERT_VALUES, {**key, "values": json.dumps(stored)})

    def stale_days(self, business_id: uuid.UUID, live: date) -> StaleDays | None:
        """The days before `live` whose stored run a past change made stale (None: no past
        change waits)."""
        rows = self._conn.execute(
            _STALE_DAYS, {"b": business_id, "v": self._version, "live": live}
        ).all()
        if not rows:
            return None
        return StaleDays(rows[0].past_changed_xid, tuple(r.as_of for r in rows if r.as_of))

    def forget_past_change(self, business_id: uuid.UUID, past_change: str) -> bool:
        """Clear the past change once its stale runs are recomputed; False if a later one came
        meanwhile (it stays, for the next catch-up)."""
        cleared = self._conn.execute(_CLEAR_PAST, {"b": business_id, "x": past_change})
        return bool(cleared.rowcount)

    def set_published(self, business_id: uuid.UUID, as_of: date, published: bool) -> None:
        self._conn.execute(_SET_PUBLISHED, {**self._key(business_id, as_of), "done": published})

    def load(self, business_id: uuid.UUID, as_of: date) -> StoredMetrics | None:
        """The day's saved metric set under this policy, typed as the domain uses it."""
        rows = run_prepared(self._conn, _LOAD, **self._key(business_id, as_of))
        if not rows:
            return None
        currency, notes, computed_at, values = rows[0]
        return stored_metrics(currency, notes, computed_at, values)


def stored_metrics(
    currency: str | None, notes: Mapping[str, str], computed_at: datetime, values: Mapping[str, Any]
) -> StoredMetrics:
    """A metric run as read back (its values as one JSON object), typed as the domain uses it."""
    typed = {key: from_json(key, value) for key, value in values.items()}
    return StoredMetrics(typed, dict(notes), currency, computed_at)
