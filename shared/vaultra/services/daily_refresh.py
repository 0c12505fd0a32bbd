"""The daily refresh: ask for every active, linked business's metrics as of a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import Engine, text

from vaultra.db.data_version import committed_transaction_id
from vaultra.events.messages import MetricsRefreshRequested
from vaultra.events.publisher import Publisher

_ACTIVE_BUSINESSES = text(
    """
    SELECT b.id FROM businesses b
    JOIN stripe_connections c ON c.business_id = b.id AND c.deauthorized_at IS NULL
    WHERE b.active ORDER BY b.id
    """
)


def fan_out_daily_refresh(
    engine: Engine,
    publisher: Publisher,
    as_of: date,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Publish one refresh request per business; returns how many were published.

    The requests carry one data version, taken now: a business whose metrics for `as_of` were
    computed after this moment (e.g. by a webhook burst) is not computed again.
    """
    with engine.connect() as conn:
        businesses = list(conn.execute(_ACTIVE_BUSINESSES).scalars())
    version = committed_transaction_id(engine)
    now = clock()
    ids = publisher.publish_many(
        MetricsRefreshRequested(business_id=b, as_of=as_of, requested_at=now, data_version=version)
        for b in businesses
    )
    return len(ids)
