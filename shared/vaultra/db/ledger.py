"""The normalized ledger of a business: set-based writes, the rebuild of old subscription history,
the metric aggregates, the version that says when it last changed, and the settled amounts
(balance transactions) its foreign-currency objects still lack."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from vaultra.db import settlements
from vaultra.db.ledger_writer import Batch, refresh_mrr_changes, write_batch
from vaultra.db.metrics_query import ledger_aggregates, resolve_currency
from vaultra.db.settlements import FetchPolicy, Unsettled
from vaultra.db.subscription_history import rebuild_subscription_history
from vaultra.domain.metrics.aggregates import Aggregates
from vaultra.domain.metrics.periods import Periods

# The last statement of a changing write, so the row's lock is held only until the commit that
# follows. The stored id is then the last committer's (see `LedgerVersion`). A change about a
# moment before today (UTC, by the database's clock) is also a past change: the earliest such
# moment is kept until the stored runs are caught up (`MetricRuns.stale_days`).
_TOUCH_VERSION = text(
    """
    INSERT INTO ledger_versions AS v (business_id, changed_xid, changed_at, past_changed_from,
                                      past_changed_xid)
    SELECT :b, x.id, now(), p.since, CASE WHEN p.since IS NOT NULL THEN x.id END
    FROM (SELECT pg_current_xact_id()::text AS id) x,
         (SELECT CASE WHEN CAST(:earliest AS timestamptz)
                           < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                      THEN CAST(:earliest AS timestamptz) END AS since) p
    ON CONFLICT (business_id) DO UPDATE SET
      changed_xid = EXCLUDED.changed_xid, changed_at = EXCLUDED.changed_at,
      past_changed_from = LEAST(v.past_changed_from, EXCLUDED.past_changed_from),
      past_changed_xid = coalesce(EXCLUDED.past_changed_xid, v.past_changed_xid)
    """
)
# Before any ledger's first day: a change "from here" makes every stored run stale.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_STATE = text("SELECT min(valid_from) FROM subscription_states WHERE business_id = :b")
_VERSION = text("SELECT changed_xid FROM ledger_versions WHERE business_id = :b")


class Ledger:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def write(self, business_id: uuid.UUID, livemode: bool, batch: Batch) -> int:
        """Upsert the batch; returns how many rows it inserted or changed. A write that changed
        anything records this transaction as the ledger's latest change."""
        changed, earliest = write_batch(self._conn, business_id, livemode, batch)
        if changed:
            self._touch(business_id, earliest)
        return changed

    def rebuild_subscription_history(self, business_id: uuid.UUID, horizon: datetime) -> int:
        rebuilt = rebuild_subscription_history(self._conn, business_id, horizon)
        if rebuilt:
            # The rebuilt states may change any subscription's MRR history: re-price them all.
            refresh_mrr_changes(self._conn, business_id)
            self._touch(business_id, self._conn.execute(_FIRST_STATE, {"b": business_id}).scalar())
        return rebuilt

    def history_changed(self, business_id: uuid.UUID) -> None:
        """Something every metric of every day reads changed (the reporting currency): recorded
        as the ledger's latest change, and as a past change from the beginning, so every stored
        run is recomputed (`MetricRuns.stale_days`)."""
        self._touch(business_id, _BEGINNING)

    def _touch(self, business_id: uuid.UUID, earliest: datetime | None) -> None:
        self._conn.execute(_TOUCH_VERSION, {"b": business_id, "earliest": earliest})

    def version(self, business_id: uuid.UUID) -> str | None:
        """The id of the last transaction that changed the ledger, None if none ever did."""
        value = self._conn.execute(_VERSION, {"b": business_id}).scalar()
        return str(value) if value is not None else None

    def currency(self, business_id: uuid.UUID) -> str | None:
        return resolve_currency(self._conn, business_id)

    def aggregates(
        self, business_id: uuid.UUID, periods: Periods, currency: str | None
    ) -> Aggregates:
        """Every aggregate the metrics need (read in one REPEATABLE READ snapshot)."""
        return ledger_aggregates(self._conn, business_id, periods, currency)

    # --- settled amounts still missing (vaultra.db.settlements) ---------------------------------

    def unsettled(
        self, business_id: uuid.UUID, currency: str, policy: FetchPolicy, limit: int
    ) -> list[Unsettled]:
        """Objects in another currency than `currency` without their balance transaction and due
        for a fetch, oldest first."""
        return settlements.unsettled(self._conn, business_id, currency, policy, limit)

    def record_settlement_failures(
        self, business_id: uuid.UUID, failures: Sequence[tuple[Unsettled, str]]
    ) -> None:
        settlements.record_failures(self._conn, business_id, failures)

    def forget_settlement_failures(
        self, business_id: uuid.UUID, settled: Sequence[str], since: datetime
    ) -> None:
        settlements.forget(self._conn, business_id, settled, since)
