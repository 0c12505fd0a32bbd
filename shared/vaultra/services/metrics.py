"""Compute a business's metrics as of a day, save them as snapshots, say so on the bus.

A computation reads one consistent snapshot of the ledger (REPEATABLE READ) and replaces the
business's snapshot rows for that day and policy version in the same transaction, so a recompute of
an unchanged ledger writes the same rows and a failed one leaves the previous ones.

Bursts and redeliveries (docs/ARCHITECTURE.md, "Bursts settle"): each "data changed" message
carries the id of a transaction that committed after its change. In this order, and before any
waiting:

1. a message whose transaction the day's latest run already saw is a no-op;
2. computations of one business are serialized by an advisory lock; a change to the *live day*
   that finds the lock taken is acknowledged: the holder keeps the live day's run current — after
   each computation, and again after releasing the lock, it checks the run against the ledger's
   latest change (`ledger_versions`) and computes again while it is behind;
3. any other message that finds the lock taken asks to be retried.

So a burst ends in a handful of computations, and the business is idle a debounce and a
computation after its last change. A holder keeps the live day current for at most
`HOLD_BUDGET_S`; changes that keep coming after that are handed over to a "metrics refresh
requested" of the live day, which the next invocation takes up.

Late data: a ledger change about a day before today (a webhook delivered late, an old charge
refunded or disputed, a settled amount fetched, an import) makes the stored runs of that day and
every later one stale, not only today's — the trend would show numbers the ledger no longer
supports. The ledger records the earliest moment such changes were about
(`vaultra.db.ledger.Ledger.write`); after the live day, the holder recomputes each stored run from
that day on that did not see the last of them, month ends first, and announces each, so their
scores follow. It stays within the same hold budget and hands the rest over the same way.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from vaultra.db import locks
from vaultra.db.unit_of_work import Database, Session, UnitOfWork
from vaultra.domain.metrics.formulas import MetricSet, compute_metrics
from vaultra.domain.metrics.periods import Periods, add_months, last_day_of_month
from vaultra.domain.numbers import json_value
from vaultra.events.messages import MetricsComputed, MetricsRefreshRequested
from vaultra.events.publisher import Publisher

log = logging.getLogger(__name__)

Outcome = Literal["computed", "already_seen", "busy", "inactive"]

# How often a caller that waits for a running computation asks for the lock again.
LOCK_POLL_S = 0.2
# How long a holder keeps the live day current before it hands the rest over to a message: a
# business with changes arriving without pause must not keep one invocation (or the local bus)
# for as long as they last.
HOLD_BUDGET_S = 60.0


@dataclass(frozen=True)
class MetricsRun:
    business_id: uuid.UUID
    as_of: date
    outcome: Outcome
    metrics: MetricSet | None = None
    announced: bool = True  # whether "metrics computed" went out for the latest run of this day
    computations: int = 0  # how many computations this call made (the live day's included)


def today_utc(clock: Callable[[], datetime]) -> date:
    return clock().astimezone(UTC).date()


def compute_metric_set(uow: UnitOfWork, business_id: uuid.UUID, as_of: date) -> MetricSet:
    """The metric set from the ledger as the unit of work sees it (read-only)."""
    periods = Periods(as_of)
    currency = uow.ledger.currency(business_id)
    return compute_metrics(uow.ledger.aggregates(business_id, periods, currency), periods)


def metrics_json(metrics: MetricSet) -> dict[str, Any]:
    return {key: json_value(value) for key, value in metrics.values.items()}


def month_ends_before(day: date, months: int) -> list[date]:
    """The last days of the `months` calendar months before `day`'s month, oldest first."""
    first = day.replace(day=1)
    return [last_day_of_month(add_months(first, -k)) for k in range(months, 0, -1)]


class Metrics:
    """The metrics use cases, over one database and one publisher (None: nothing announced)."""

    def __init__(
        self,
        db: Database,
        publisher: Publisher | None,
        *,
        debounce_s: float = 0.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        hold_budget_s: float = HOLD_BUDGET_S,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._debounce_s = debounce_s
        self._clock = clock
        self._sleep = sleep
        self._hold_budget_s = hold_budget_s

    # --- use cases -------------------------------------------------------------------------

    def refresh(
        self,
        business_id: uuid.UUID,
        as_of: date,
        *,
        data_version: str | None = None,
        debounce: bool = False,
        wait_s: float = 0.0,
        on_wait: Callable[[], None] | None = None,
    ) -> MetricsRun:
        """Compute and save the metrics as of `as_of` unless the day's run already saw
        `data_version`; announce "metrics computed" after each computation commits.

        `debounce`: wait `debounce_s` while holding the business before reading, so the rest of a
        burst arrives first. `wait_s`: how long to wait for a computation already running
        (`on_wait` is called once when waiting starts); 0 answers "busy" at once.
        """
        settled = self._settled(business_id, as_of, data_version)
        if settled is not None:
            return settled
        live = today_utc(self._clock)
        deadline = time.monotonic() + self._hold_budget_s
        run: MetricsRun | None = None
        computations = 0
        with self._db.session() as session:
            while True:
                waited = wait_s if run is None else 0.0
                if not self._acquire(session, business_id, waited, on_wait):
                    if run is not None:  # the holder that took over keeps the live day current
                        break
                    return MetricsRun(business_id, as_of, "busy")
                try:
                    if run is None:
                        run = self._compute(session, business_id, as_of, data_version, debounce)
                        computations += run.computations
                    # Changes to the live day that found us busy were acknowledged on the promise
                    # that the holder keeps its run current.
                    while time.monotonic() < deadline and self._live_run_behind(
                        session, business_id, live
                    ):
                        computations += self._compute(
                            session, business_id, live, None, debounce
                        ).computations
                    past_done, past_computations = self._catch_up(
                        session, business_id, live, deadline
                    )
                    computations += past_computations
                finally:
                    session.unlock(locks.METRICS, business_id)
                # A change committed after the last check and acknowledged while we still held the
                # lock is seen here, once the lock is free.
                if past_done and not self._live_run_behind(session, business_id, live):
                    break
                if time.monotonic() >= deadline:
                    self._hand_over(session, business_id, live)
                    break
        return MetricsRun(
            run.business_id, run.as_of, run.outcome, run.metrics, run.announced, computations
        )

    def coalesces(self, business_id: uuid.UUID, as_of: date) -> bool:
        """Whether a change to `as_of` may be folded into a computation already running: only
        the live day's, and only once it has a run the holder can keep current."""
        if as_of != today_utc(self._clock):
            return False
        with self._db.snapshot() as uow:
            return uow.metrics.state(business_id, as_of) is not None

    def history(
        self, business_id: uuid.UUID, through: date, *, months: int = 12
    ) -> list[MetricsRun]:
        """Metrics as of each of the last `months` month ends: the trend a newly imported
        history has at once (the daily refresh only adds days from now on). A month end whose
        run already saw the ledger as it is now is left as it is; busy days are left to the next
        refresh."""
        with self._db.snapshot() as uow:
            version = uow.ledger.version(business_id)
        return [
            self.refresh(business_id, day, data_version=version)
            for day in month_ends_before(through, months)
        ]

    def current_set(self, business_id: uuid.UUID, as_of: date) -> MetricSet:
        """The metric set as of a day from the current ledger, saving nothing."""
        with self._db.snapshot() as uow:
            return compute_metric_set(uow, business_id, as_of)

    # --- steps -----------------------------------------------------------------------------

    def _settled(
        self, business_id: uuid.UUID, as_of: date, data_version: str | None
    ) -> MetricsRun | None:
        """What needs no lock and no wait, in one read: a business gone or paused, or a change
        the day's latest run already saw."""
        with self._db.snapshot() as uow:
            if not uow.businesses.is_active(business_id):
                return MetricsRun(business_id, as_of, "inactive")
            if data_version is None:
                return None
            if uow.metrics.stale_days(business_id, today_utc(self._clock)) is not None:
                return None  # a past change waits for the holder's catch-up
            state = uow.metrics.state(business_id, as_of)
            if state is None or not uow.sees(data_version, state.read_snapshot):
                return None
        run = MetricsRun(
            business_id, as_of, "already_seen", announced=state.published_at is not None
        )
        if not run.announced and self._publisher is not None:
            self._announce(business_id, as_of, newly_saved=False)
        return run

    def _hand_over(self, session: Session, business_id: uuid.UUID, live: date) -> None:
        """The hold budget is spent and the live day is still behind: ask for it by message
        (without a publisher, the reconciliation tick will)."""
        if self._publisher is None:
            return
        with session.transaction() as uow:
            version = uow.ledger.version(business_id)
        self._publisher.publish(
            MetricsRefreshRequested(
                business_id=business_id,
                as_of=live,
                requested_at=self._clock(),
                data_version=version,
            )
        )
        log.info("metrics of %s: hold budget spent, the live day handed over", business_id)

    def _acquire(
        self,
        session: Session,
        business_id: uuid.UUID,
        wait_s: float,
        on_wait: Callable[[], None] | None,
    ) -> bool:
        if session.try_lock(locks.METRICS, business_id):
            return True
        if wait_s <= 0:
            return False
        if on_wait is not None:
            on_wait()
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            self._sleep(LOCK_POLL_S)
            if session.try_lock(locks.METRICS, business_id):
                return True
        return False

    def _catch_up(
        self, session: Session, business_id: uuid.UUID, live: date, deadline: float
    ) -> tuple[bool, int]:
        """Recompute the stored runs before `live` that past changes made stale (module
        docstring, "Late data"); returns whether none is left and how many were computed.

        The runs are listed before any is recomputed, so each recompute reads a snapshot that sees
        the last past change listed; the change is forgotten only if no other came meanwhile."""
        with session.transaction() as uow:
            stale = uow.metrics.stale_days(business_id, live)
        if stale is None:
            return True, 0
        computations = 0
        for day in stale.days:
            if time.monotonic() >= deadline:
                return False, computations
            computations += self._compute(session, business_id, day, None, False).computations
        with session.transaction() as uow:
            done = uow.metrics.forget_past_change(business_id, stale.past_change)
        if stale.days:
            log.info(
                "metrics of %s: %d stored day(s) recomputed after a change to the past (%s to %s)",
                business_id,
                len(stale.days),
                min(stale.days),
                max(stale.days),
            )
        return done, computations

    def _live_run_behind(self, session: Session, business_id: uuid.UUID, live: date) -> bool:
        with session.transaction() as uow:
            return uow.metrics.state(business_id, live) is not None and not uow.metrics.sees_ledger(
                business_id, live
            )

    def _compute(
        self,
        session: Session,
        business_id: uuid.UUID,
        as_of: date,
        data_version: str | None,
        debounce: bool,
    ) -> MetricsRun:
        """One computation under the lock; a change seen meanwhile by another holder is not
        computed again."""
        if debounce and self._debounce_s > 0:
            self._sleep(self._debounce_s)
        announce = self._publisher is not None
        with session.transaction(consistent=True) as uow:
            state = uow.metrics.state(business_id, as_of)
            if (
                data_version is not None
                and state is not None
                and uow.sees(data_version, state.read_snapshot)
            ):
                seen = MetricsRun(
                    business_id, as_of, "already_seen", announced=state.published_at is not None
                )
            else:
                seen = None
                snapshot = uow.read_snapshot()
                started = time.perf_counter()
                metrics = compute_metric_set(uow, business_id, as_of)
                elapsed_ms = round((time.perf_counter() - started) * 1000)
                uow.metrics.save(
                    business_id,
                    as_of,
                    metrics.values,
                    currency=metrics.currency,
                    notes=metrics.notes,
                    read_snapshot=snapshot,
                    duration_ms=elapsed_ms,
                    announce=announce,
                )
        if seen is not None:
            if not seen.announced and announce:
                self._announce(business_id, as_of, newly_saved=False)
            return seen
        log.info("metrics of %s as of %s computed in %d ms", business_id, as_of, elapsed_ms)
        if announce:
            self._announce(business_id, as_of, newly_saved=True)
        return MetricsRun(business_id, as_of, "computed", metrics, computations=1)

    def _announce(self, business_id: uuid.UUID, as_of: date, *, newly_saved: bool) -> None:
        """Publish "metrics computed"; record whether it went out, so a redelivery can retry.

        A run saved with `announce` is already marked published; a failed publish unmarks it."""
        assert self._publisher is not None
        try:
            self._publisher.publish(
                MetricsComputed(business_id=business_id, as_of=as_of, computed_at=self._clock())
            )
        except Exception:
            with self._db.transaction() as uow:
                uow.metrics.set_published(business_id, as_of, False)
            raise
        if not newly_saved:
            with self._db.transaction() as uow:
                uow.metrics.set_published(business_id, as_of, True)
