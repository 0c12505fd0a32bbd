"""The daily refresh: ask for every active, linked business's metrics as of a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

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
