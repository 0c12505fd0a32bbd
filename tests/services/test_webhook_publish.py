"""When the event bus is down, the event is kept and answered 200 (it is stored: a 5xx would only
mean "the database is unavailable"); its cleared flag lets a redelivery publish what the first
delivery could not, once — and the reconciliation tick covers a redelivery that never comes."""

from __future__ import annotations

import json

import stripe
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import Message
from vaultra.services.businesses import add_business
from vaultra.services.webhook import WebhookReceiver

from tests.support.stripe_payloads import ACCOUNT, charge, event

SECRET = "whsec_publish"


class FlakyBus:
    """Pub/Sub as seen from a function during an outage: publish raises, then recovers."""

    def __init__(self) -> None:
        self.down = True
        self.bus = LocalBus()
        self.published: list[Message] = []

    def publish(self, message: Message) -> str:
        if self.down:
            raise ConnectionError("pubsub.googleapis.com unreachable")
        self.published.append(message)
        return self.bus.publish(message)

    def publish_many(self, messages: list[Message]) -> list[str]:
        return [self.publish(m) for m in messages]


def signed(evt: dict) -> tuple[bytes, str]:
    body = json.dumps(evt)
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)


def test_a_failed_publish_still_answers_200_and_a_redelivery_publishes_once(
    engine: Engine,
) -> None:
    business_id = add_business(Database(engine), "Acme", ACCOUNT, livemode=False).business_id
    bus = FlakyBus()
    receiver = WebhookReceiver(Database(engine), bus, [SECRET])
    body, header = signed(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )

    # Stored and committed: the event is the sender's no more (reconciliation catches up).
    assert receiver.receive(body, header).status_code == 200

    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, published_at FROM stripe_events")).one()
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 1
    assert row.status == "applied" and row.published_at is None

    bus.down = False
    retried = receiver.receive(body, header)
    again = receiver.receive(body, header)

    assert retried.body["status"] == again.body["status"] == "duplicate"
    assert [m.business_id for m in bus.published] == [business_id]  # once, not per redelivery
