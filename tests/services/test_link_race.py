"""An event arriving while its account is being linked is never left pending."""

from __future__ import annotations

import json
import threading

import stripe
from sqlalchemy import Engine, text
from vaultra.db.stripe_events import Body
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.events.local_bus import LocalBus
from vaultra.services.businesses import add_business, create_linked_business
from vaultra.services.webhook import WebhookReceiver
from vaultra.stripe.events import parse_event

from tests.support.stripe_payloads import ACCOUNT, charge, event

SECRET = "whsec_race"


def test_a_link_waits_for_an_event_being_stored_then_applies_it(engine: Engine) -> None:
    receiver = WebhookReceiver(Database(engine), LocalBus(), [SECRET])
    body = json.dumps(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    ).encode()
    linked = threading.Event()

    def link() -> None:
        add_business(Database(engine), "Acme", ACCOUNT, livemode=False)
        linked.set()

    with engine.connect() as delivery, delivery.begin():
        # The delivery has looked the account up (not linked) and is storing the event…
        stored = receiver._store(UnitOfWork(delivery), parse_event(body), Body(body.decode()))
        assert stored.status == "pending_link"
        linker = threading.Thread(target=link)
        linker.start()
        # …so the link waits for it instead of missing it.
        assert not linked.wait(timeout=1.0)
    linker.join(timeout=10)

    assert linked.is_set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM stripe_events")).scalar_one() == "applied"
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 1


def test_an_event_arriving_during_a_link_sees_the_link(engine: Engine) -> None:
    receiver = WebhookReceiver(Database(engine), LocalBus(), [SECRET])
    payload = json.dumps(
        event("charge.succeeded", charge("ch_1"), event_id="evt_1", created=1_700_000_100)
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    results: list[str] = []

    with engine.connect() as linking, linking.begin():
        create_linked_business(UnitOfWork(linking), "Acme", ACCOUNT, livemode=False)
        delivery = threading.Thread(
            target=lambda: results.append(str(receiver.receive(payload.encode(), header).body))
        )
        delivery.start()
        delivery.join(timeout=1.0)
        assert delivery.is_alive()  # waiting for the link to commit
    delivery.join(timeout=10)

    assert results and "'applied'" in results[0]
