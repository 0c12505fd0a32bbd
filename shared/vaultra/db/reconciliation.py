"""What is behind: the businesses whose metrics or score do not reflect their current ledger.

One set-based statement over every active, linked business. A business is behind on metrics when
its run for the day is missing or did not see the ledger's latest change, or a change to a past
day still waits for its stored runs to be recomputed (older than a grace period, so changes whose
own messages are still in flight are left to them); behind on its score
when the day's run is newer than the day's score (or there is none).

A second statement lists the businesses with settled amounts to fetch: a charge, refund or
dispute in another currency than the one their latest metrics run was computed in, without its
balance transaction and due for a fetch (`vaultra.db.settlements`). The run's currency is the
metrics engine's own answer, read rather than recomputed for every business at every tick.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection, text

from vaultra.db.settlements import FetchPolicy, due_objects

_BEHIND = text(
    """
    SELECT b.id AS business_id, v.changed_xid,
      CASE
        WHEN r.business_id IS NULL THEN 'metrics'
        WHEN v.changed_xid IS NOT NULL
             AND v.changed_at < now() - make_interval(secs => :grace)
             AND NOT pg_visible_in_snapshot(CAST(v.changed_xid AS xid8),
                                            CAST(r.read_snapshot AS pg_snapshot)) THEN 'metrics'
        WHEN v.past_changed_xid IS NOT NULL
             AND v.changed_at < now() - make_interval(secs => :grace) THEN 'metrics'
        WHEN s.business_id IS NULL OR s.metrics_computed_at < r.computed_at THEN 'score'
      END AS behind
    FROM businesses b
    JOIN stripe_connections c ON c.business_id = b.id AND c.deauthorized_at IS NULL
    LEFT JOIN ledger_versions v ON v.business_id = b.id
    LEFT JOIN metric_runs r
      ON r.business_id = b.id AND r.as_of = :d AND r.policy_version = :pv
    LEFT JOIN readiness_scores s
      ON s.business_id = b.id AND s.as_of = :d AND s.model_version = :mv
    WHERE b.active
    ORDER BY b.id
    """
)


# A business can only hold an object created within the look-back if its ledger changed since.
_UNSETTLED = text(
    f"""
    SELECT b.id AS business_id, c.account_id
    FROM businesses b
    JOIN stripe_connections c ON c.business_id = b.id AND c.deauthorized_at IS NULL
    JOIN ledger_versions v ON v.business_id = b.id AND v.changed_at >= :since
    CROSS JOIN LATERAL (
      SELECT currency FROM metric_runs
      WHERE business_id = b.id AND policy_version = :pv AND currency IS NOT NULL
      ORDER BY as_of DESC LIMIT 1) r
    WHERE b.active AND EXISTS ({due_objects("b.id", "r.currency")})
    ORDER BY b.id
    """
)


@dataclass(frozen=True)
class UnsettledBusiness:
    business_id: uuid.UUID
    account_id: str


@dataclass(frozen=True)
class Behind:
    business_id: uuid.UUID
    what: Literal["metrics", "score"]
    ledger_version: str | None


class Reconciliation:
    def __init__(self, conn: Connection, policy_version: str, model_version: str) -> None:
        self._conn = conn
        self._pv = policy_version
        self._mv = model_version

    def behind(self, day: date, grace_s: float) -> list[Behind]:
        rows = self._conn.execute(
            _BEHIND, {"d": day, "pv": self._pv, "mv": self._mv, "grace": grace_s}
        )
        return [Behind(r.business_id, r.behind, r.changed_xid) for r in rows if r.behind]

    def unsettled(self, policy: FetchPolicy) -> list[UnsettledBusiness]:
        """Active, linked businesses holding objects in another currency than their own with a
        settled amount to fetch."""
        rows = self._conn.execute(_UNSETTLED, {"pv": self._pv, **policy.params()})
        return [UnsettledBusiness(r.business_id, r.account_id) for r in rows]
