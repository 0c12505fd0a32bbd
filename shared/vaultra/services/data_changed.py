"""Saying that a linked business's Stripe data changed, once an import of it committed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database
from vaultra.events.messages import StripeDataChanged
from vaultra.events.publisher import Publisher


def announce_committed(
    db: Database,
    publisher: Publisher,
    link: LinkedAccount,
    reason: Literal["backfill", "settlement"],
    at: datetime,
) -> None:
    """Publish "stripe data changed" for the link's business. Its data version is the id of a
    fresh transaction, later than every batch committed before the call: a computation that sees
    it has seen them all."""
    with db.transaction() as uow:
        version = uow.transaction_id()
    publisher.publish(
        StripeDataChanged(
            business_id=link.business_id,
            account_id=link.account_id,
            livemode=link.livemode,
            reason=reason,
            changed_at=at,
            data_version=version,
        )
    )
