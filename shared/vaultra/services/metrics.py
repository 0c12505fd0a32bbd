"""Compute a business's metrics as of a day, save them as snapshots, say so on the bus.

A computation reads one consistent snapshot of the ledger (REPEATABLE READ) and replaces the
business's snapshot rows for that day and policy version in the same transaction, so a recompute of
an unchanged ledger writes the same rows and a failed one leaves the previous ones.

Bursts and redeliveries: each "data changed" message carries the id of a transaction that committed
after its change (`vaultra.db.data_version`). Computations of one business are serialized by an
advisory lock; a message whose transaction the latest computation for that day already saw is a
no-op, and a message that finds a computation running asks to be retried — by then, that
computation has usually seen its change, and the retry is a no-op too.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, text

from vaultra.db.data_version import read_snapshot, seen_in
from vaultra.db.metrics_query import ledger_aggregates, resolve_currency
from vaultra.domain.metrics.formulas import POLICY_VERSION, MetricSet, MetricValue, compute_metrics
from vaultra.domain.metrics.periods import Periods, add_months, last_day_of_month
from vaultra.domain.numbers import json_value
from vaultra.events.messages import MetricsComputed
from vaultra.events.publisher import Publisher

log = logging.getLogger(__name__)

Outcome = Literal["computed", "already_seen", "busy"]

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext('vaultra.metrics'), hashtext(:b))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext('vaultra.metrics'), hashtext(:b))")
_LAST_RUN = text(
    "SELECT read_snapshot, published_at FROM metric_runs "
    "WHERE business_id = :b AND as_of = :d AND policy_version = :v"
)
# `published_at` is set with the run when it is to be announced, and cleared if the announcement
# fails: a redelivered message then finds the run unannounced and announces it (an outbox of one).
_SAVE_RUN = text(
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


@dataclass(frozen=True)
class MetricsRun:
    business_id: uuid.UUID
    as_of: date
    outcome: Outcome
    metrics: MetricSet | None = None
    announced: bool = True  # whether "metrics computed" went out for the latest run of this day


def compute_metric_set(conn: Connection, business_id: uuid.UUID, as_of: date) -> MetricSet:
    """The metric set from the ledger as `conn` sees it (read-only)."""
    periods = Periods(as_of)
    currency = resolve_currency(conn, business_id)
    return compute_metrics(ledger_aggregates(conn, business_id, periods, currency), periods)


def metrics_json(metrics: MetricSet) -> dict[str, Any]:
    return {key: json_value(value) for key, value in metrics.values.items()}


def refresh_metrics(
    engine: Engine,
    business_id: uuid.UUID,
    as_of: date,
    *,
    data_version: str | None = None,
    publisher: Publisher | None = None,
    debounce_s: float = 0.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> MetricsRun:
    """Compute and save the metrics as of `as_of` unless the latest run already saw
    `data_version`; publish "metrics computed" after a computation commits.

    `debounce_s` waits, holding the business's lock, before reading: messages of a burst that
    arrive meanwhile find the lock taken, are retried, and are then already seen.
    """
    key = {"b": str(business_id)}
    with engine.connect() as conn:
        locked = conn.execute(_TRY_LOCK, key).scalar_one()
        conn.commit()
        if not locked:
            return MetricsRun(business_id, as_of, "busy")
        try:
            if debounce_s > 0:
                time.sleep(debounce_s)
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                run = _compute_and_save(
                    conn, business_id, as_of, data_version, announce=publisher is not None
                )
            if publisher is not None and not run.announced:
                _announce(conn, publisher, run, clock)
        finally:
            conn.execute(_UNLOCK, key)
            conn.commit()
    return run


def _announce(
    conn: Connection, publisher: Publisher, run: MetricsRun, clock: Callable[[], datetime]
) -> None:
    """Publish "metrics computed"; record whether it went out, so a redelivery can retry it."""
    params = {"b": run.business_id, "d": run.as_of, "v": POLICY_VERSION}
    try:
        publisher.publish(
            MetricsComputed(business_id=run.business_id, as_of=run.as_of, computed_at=clock())
        )
    except Exception:
        with conn.begin():
            conn.execute(_SET_PUBLISHED, {**params, "done": False})
        raise
    if run.outcome == "already_seen":  # a computed run was saved as announced already
        with conn.begin():
            conn.execute(_SET_PUBLISHED, {**params, "done": True})


def _compute_and_save(
    conn: Connection,
    business_id: uuid.UUID,
    as_of: date,
    data_version: str | None,
    *,
    announce: bool,
) -> MetricsRun:
    params = {"b": business_id, "d": as_of, "v": POLICY_VERSION}
    previous = conn.execute(_LAST_RUN, params).one_or_none()
    if (
        data_version is not None
        and previous is not None
        and seen_in(conn, data_version, previous.read_snapshot)
    ):
        return MetricsRun(
            business_id, as_of, "already_seen", announced=previous.published_at is not None
        )
    snapshot = read_snapshot(conn)
    started = time.perf_counter()
    metrics = compute_metric_set(conn, business_id, as_of)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    save_metric_run(
        conn,
        business_id,
        as_of,
        metrics.values,
        currency=metrics.currency,
        notes=metrics.notes,
        read_snapshot=snapshot,
        duration_ms=elapsed_ms,
        announce=announce,
    )
    log.info("metrics of %s as of %s computed in %d ms", business_id, as_of, elapsed_ms)
    # Announced only once the message is out (`_announce`); the row says it will be.
    return MetricsRun(business_id, as_of, "computed", metrics, announced=False)


def save_metric_run(
    conn: Connection,
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
    """Replace the day's run and snapshot rows under the current policy (`computed_at` defaults
    to now; tests and benchmarks give a fixed one)."""
    params = {"b": business_id, "d": as_of, "v": POLICY_VERSION}
    conn.execute(
        _SAVE_RUN,
        {
            **params,
            "currency": currency,
            "snapshot": read_snapshot,
            "notes": json.dumps(dict(notes)),
            "ms": duration_ms,
            "announce": announce,
            "at": computed_at,
        },
    )
    conn.execute(_DELETE_VALUES, params)
    values_json = {key: json_value(value) for key, value in values.items()}
    conn.execute(_INSERT_VALUES, {**params, "values": json.dumps(values_json)})


def month_ends_before(day: date, months: int) -> list[date]:
    """The last days of the `months` calendar months before `day`'s month, oldest first."""
    first = day.replace(day=1)
    return [last_day_of_month(add_months(first, -k)) for k in range(months, 0, -1)]


def refresh_history(
    engine: Engine,
    business_id: uuid.UUID,
    through: date,
    *,
    months: int = 12,
    data_version: str | None = None,
) -> list[MetricsRun]:
    """Metrics as of each of the last `months` month ends: the trend a newly imported history
    has at once (the daily refresh only adds days from now on). Busy days are left to the next
    refresh."""
    return [
        refresh_metrics(engine, business_id, day, data_version=data_version)
        for day in month_ends_before(through, months)
    ]


def refresh_after_change(
    engine: Engine,
    business_id: uuid.UUID,
    as_of: date,
    *,
    data_version: str | None,
    imported_history: bool,
    publisher: Publisher | None,
    debounce_s: float = 0.0,
) -> MetricsRun | None:
    """What a "data changed" or "refresh requested" message asks for; None when the business is
    gone or inactive (nothing to do). An imported history also gets its month-end trend."""
    with engine.connect() as conn:
        active = conn.execute(
            text("SELECT active FROM businesses WHERE id = :b"), {"b": business_id}
        ).scalar()
    if not active:
        return None
    run = refresh_metrics(
        engine,
        business_id,
        as_of,
        data_version=data_version,
        publisher=publisher,
        debounce_s=debounce_s,
    )
    if run.outcome != "busy" and imported_history:
        refresh_history(engine, business_id, as_of, data_version=data_version)
    return run
