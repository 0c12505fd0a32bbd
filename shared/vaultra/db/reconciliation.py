"""What is behind: the businesses whose metrics or score do not reflect their current ledger.

One set-based statement over every active, linked business. A business is behind on metrics when
its run for the day is missing or did not see the ledger's latest change (older than a grace
period, so changes whose own messages are still in flight are left to them); behind on its score
when the day's run is newer than the day's score (or there is none).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection, text

_BEHIND = text(
    """
    SELECT b.id AS business_id, v.changed_xid,
      CASE
        WHEN r.business_id IS NULL THEN 'metrics'
        WHEN v.changed_xid IS NOT NULL
             AND v.changed_at < now() - make_interval(secs => :grace)
             AND NOT pg_visible_in_snapshot(CAST(v.changed_xid AS xid8),
                                            CAST(r.read_snapshot AS pg_snapshot)) THEN 'metrics'
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
