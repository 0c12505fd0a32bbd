"""The daily refresh: ask for every active, linked business's metrics as of a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from vaultra.db.unit_of_work import Database
from vaultra.events.messages import MetricsRefreshRequested
from vaultra.events.publisher import Publisher


def fan_out_daily_refresh(
    db: Database,
    publisher: Publisher,
    as_of: date,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Publish one refresh request per business; returns how many were published.

    The requests carry one data version, taken now: a business whose metrics for `as_of` were
    computed after this moment (e.g. by a webhook burst) is not computed again.
    """
    with db.transaction() as uow:
        businesses = uow.businesses.active_linked()
        version = uow.transaction_id()
    now = clock()
    ids = publisher.publish_many(
        MetricsRefreshRequested(business_id=b, as_of=as_of, requested_at=now, data_version=version)
        for b in businesses
    )
    return len(ids)


PRUNE_BATCH = 5_000


def prune_raw_events(
    db: Database, retention_days: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> int:
    """Delete raw Stripe events received more than `retention_days` ago (docs/DATA_MODEL.md,
    "Privacy and retention"), in batches of their own transactions; returns how many went.

    What they said lives on in the ledger: an event is applied (or ignored, or failed) within
    seconds, and re-applying one later would change nothing, since the ledger keeps the newest
    version of each object. Events still waiting for their account to be linked are kept: they
    are the only copy of what they carry until the link."""
    cutoff = clock() - timedelta(days=retention_days)
    total = 0
    while True:
        with db.transaction() as uow:
            deleted = uow.events.prune_received_before(cutoff, PRUNE_BATCH)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total
