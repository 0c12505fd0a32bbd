"""The reconciliation tick: whatever message was lost, every committed ledger change reaches the
metrics, and every run its score, within one tick.

Cloud Scheduler publishes a tick every few minutes (`vaultra serve` runs its own timer). The tick
asks PostgreSQL which businesses are behind (`vaultra.db.reconciliation`) and publishes again what
would have brought them up to date: a refresh request for stale metrics, a "metrics computed" for
a run without its score. It is level-triggered: it compares states, never replays history, so a
tick that finds nothing behind publishes nothing, and a lost tick is made up by the next.

The same tick asks for the settled amounts a business's foreign-currency charges, refunds and
disputes still lack (`SettlementsRequested`, `vaultra.services.settlements`): balance transactions
have no events, so no webhook can ask for them, and a state compared at every tick needs no
message that could be lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from vaultra.db.unit_of_work import Database
from vaultra.events.messages import (
    Message,
    MetricsComputed,
    MetricsRefreshRequested,
    SettlementsRequested,
)
from vaultra.events.publisher import Publisher
from vaultra.services.businesses import is_demo_account
from vaultra.services.settlements import fetch_policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileReport:
    day: date
    metrics_requested: int
    scores_requested: int
    settlements_requested: int = 0


def reconcile(
    db: Database,
    publisher: Publisher,
    *,
    grace_s: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ReconcileReport:
    """Publish what brings each business up to date as of today; changes younger than `grace_s`
    are left to their own messages, still in flight."""
    now = clock()
    day = now.astimezone(UTC).date()
    with db.snapshot() as uow:
        behind = uow.reconciliation.behind(day, grace_s)
        unsettled = uow.reconciliation.unsettled(fetch_policy(now))
    # A demo account is synthetic: no Stripe holds its balance transactions.
    unsettled = [u for u in unsettled if not is_demo_account(u.account_id)]
    messages: list[Message] = []
    for b in behind:
        if b.what == "metrics":
            messages.append(
                MetricsRefreshRequested(
                    business_id=b.business_id,
                    as_of=day,
                    requested_at=now,
                    data_version=b.ledger_version,
                )
            )
        else:
            messages.append(MetricsComputed(business_id=b.business_id, as_of=day, computed_at=now))
    messages += [
        SettlementsRequested(business_id=u.business_id, account_id=u.account_id, requested_at=now)
        for u in unsettled
    ]
    publisher.publish_many(messages)
    report = ReconcileReport(
        day,
        sum(1 for b in behind if b.what == "metrics"),
        sum(1 for b in behind if b.what == "score"),
        len(unsettled),
    )
    if behind:
        log.warning(
            "reconciliation as of %s: %d business(es) behind on metrics, %d on their score",
            day,
            report.metrics_requested,
            report.scores_requested,
        )
    if unsettled:
        log.info("reconciliation: settled amounts requested for %d business(es)", len(unsettled))
    return report
