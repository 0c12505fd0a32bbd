"""The Pub/Sub-triggered backfill function: a "backfill requested" CloudEvent, as Pub/Sub pushes
it, imports the account; the same message delivered again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import functions_framework
import pytest
from cloudevents.conversion import to_structured
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import BackfillRequested
from vaultra.services.businesses import add_business
from vaultra_dev.stripe_api import StripeApiServer

from tests.functions.conftest import FUNCTIONS
from tests.support import histories
from tests.support.histories import ACCOUNT, DAY, NOW


@pytest.fixture
def stripe_api(monkeypatch: pytest.MonkeyPatch, function_env: None) -> Iterator[StripeApiServer]:
    with StripeApiServer() as server:
        server.add_account(
            ACCOUNT, histories.objects(), histories.events(), now=NOW, created=NOW - 120 * DAY
        )
        monkeypatch.setenv("STRIPE_API_KEY", server.api_key)
        monkeypatch.setenv("STRIPE_API_BASE", server.base_url)
        from vaultra.config import get_settings

        get_settings.cache_clear()
        yield server


def pushed(message: BackfillRequested) -> tuple[dict[str, str], bytes]:
    """The CloudEvent Pub/Sub would push for this message, as an HTTP request."""
    captured: list[Any] = []
    bus = LocalBus()
    bus.subscribe(topics.BACKFILL_REQUESTED, captured.append)
    bus.publish(message)
    headers, body = to_structured(captured[0])
    return dict(headers), body


def test_backfill_request_imports_the_account_once(
    engine: Engine, stripe_api: StripeApiServer
) -> None:
    business_id = add_business(
        Database(engine), "Hand-made Co", ACCOUNT, livemode=False
    ).business_id
    client = functions_framework.create_app(
        "backfill_account", str(FUNCTIONS / "backfill_account" / "main.py"), "cloudevent"
    ).test_client()
    headers, body = pushed(
        BackfillRequested(
            business_id=business_id, account_id=ACCOUNT, requested_at=datetime.now(UTC)
        )
    )

    first = client.post("/", headers=headers, data=body)
    requests_after_first = len(stripe_api.requests)
    again = client.post("/", headers=headers, data=body)

    assert first.status_code == again.status_code == 200
    assert len(stripe_api.requests) == requests_after_first  # the redelivery fetched nothing
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 3
        run = conn.execute(text("SELECT status, attempts, detail FROM job_runs")).one()
    assert run.status == "succeeded" and run.attempts == 1
    assert run.detail["objects"] == 18


def test_request_for_an_account_of_another_business_is_acknowledged_and_ignored(
    engine: Engine, stripe_api: StripeApiServer
) -> None:
    add_business(Database(engine), "Owner", ACCOUNT, livemode=False)
    intruder = add_business(
        Database(engine), "Other", "acct_1SomeoneElse000", livemode=False
    ).business_id
    client = functions_framework.create_app(
        "backfill_account", str(FUNCTIONS / "backfill_account" / "main.py"), "cloudevent"
    ).test_client()
    headers, body = pushed(
        BackfillRequested(business_id=intruder, account_id=ACCOUNT, requested_at=datetime.now(UTC))
    )

    response = client.post("/", headers=headers, data=body)

    assert response.status_code == 200
    assert stripe_api.requests == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM charges")).scalar_one() == 0


def test_request_for_a_revoked_link_is_acknowledged_and_reads_nothing(
    engine: Engine, stripe_api: StripeApiServer
) -> None:
    db = Database(engine)
    business = add_business(db, "Owner", ACCOUNT, livemode=False).business_id
    with db.transaction() as uow:  # the founder disconnected Vaultra in Stripe
        uow.businesses.mark_deauthorized(ACCOUNT, False, NOW)
    client = functions_framework.create_app(
        "backfill_account", str(FUNCTIONS / "backfill_account" / "main.py"), "cloudevent"
    ).test_client()
    headers, body = pushed(
        BackfillRequested(business_id=business, account_id=ACCOUNT, requested_at=datetime.now(UTC))
    )

    assert client.post("/", headers=headers, data=body).status_code == 200
    assert stripe_api.requests == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_runs")).scalar_one() == 0
