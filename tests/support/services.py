"""The services over a test database, built as the composition root builds them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.events.publisher import Publisher
from vaultra.services.metrics import Metrics
from vaultra.services.readiness import Readiness
from vaultra.services.webhook import WebhookReceiver

from tests.support.stripe_payloads import ACCOUNT, SECRET, event, sign


def metrics(engine: Engine, publisher: Publisher | None = None) -> Metrics:
    return Metrics(Database(engine), publisher)


def readiness(engine: Engine) -> Readiness:
    return Readiness(Database(engine))


def committed_version(engine: Engine) -> str:
    """The id of a fresh transaction: later than every commit so far."""
    with Database(engine).transaction() as uow:
        return uow.transaction_id()


def deliver(
    db: Database,
    kind: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: int | None = None,
    account: str = ACCOUNT,
) -> str:
    """Stripe delivers an event of `obj` (created when `obj` was, unless said) to the webhook
    receiver; its "data changed" message goes nowhere. Returns the data version that message
    would carry: a transaction later than the event's."""
    body = json.dumps(
        event(
            kind,
            obj,
            event_id=event_id or f"evt_{obj['id']}",
            created=obj["created"] if created is None else created,
            account=account,
        )
    ).encode()
    assert WebhookReceiver(db, LocalBus(), [SECRET]).receive(body, sign(body)).status_code == 200
    with db.transaction() as uow:
        return uow.transaction_id()
