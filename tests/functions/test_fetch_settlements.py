"""The `fetch_settlements` function on the local bus, as `vaultra serve` runs it: a EUR charge
arrives by webhook in a USD account; the reconciliation tick asks for its settled amount; the
function fetches it from a loopback Stripe and the metrics recompute with it. The same request
delivered again fetches nothing, and a request naming another tenant's account reads nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.config import get_settings
from vaultra.db.unit_of_work import Database
from vaultra.events import topics
from vaultra.events.local_bus import get_local_bus
from vaultra.events.messages import ReconcileTick, SettlementsRequested
from vaultra.local_stack import subscribe_functions
from vaultra.services.businesses import add_business
from vaultra_dev.stripe_api import StripeApiServer

from tests.functions.test_compute_metrics import capture, function, push, today
from tests.support.stripe_payloads import ACCOUNT, balance_transaction, body_of, charge, event, sign


def a_minute_ago() -> int:
    """Read when asked: a time read at import goes stale in a long run."""
    return int(time.time()) - 60


@pytest.fixture
def stripe_api(monkeypatch: pytest.MonkeyPatch, function_env: None) -> Iterator[StripeApiServer]:
    with StripeApiServer() as server:
        settled = balance_transaction(
            "txn_ch_eur", source="ch_eur", amount=4321, fee=155, created=a_minute_ago()
        )
        server.add_account(ACCOUNT, {"balance_transactions": [settled]})
        monkeypatch.setenv("STRIPE_API_KEY", server.api_key)
        monkeypatch.setenv("STRIPE_API_BASE", server.base_url)
        get_settings.cache_clear()
        yield server


def deliver(webhook_client: Any, charge_id: str, amount: int, currency: str) -> None:
    created = a_minute_ago()
    body = body_of(
        event(
            "charge.succeeded",
            charge(charge_id, amount=amount, currency=currency, created=created),
            event_id=f"evt_{charge_id}",
            created=created,
        )
    )
    response = webhook_client.post("/", data=body, headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 200


def gross_volume_12m(engine: Engine, business: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT value FROM metric_snapshots WHERE business_id = :b AND as_of = :d "
                    "AND metric = 'gross_volume_12m'"
                ),
                {"b": business, "d": today()},
            ).scalar_one()
        )


def job_runs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status, attempts FROM job_runs WHERE kind = 'settlements'")
        ).all()


def test_the_tick_brings_a_webhook_charges_settled_amount_and_a_redelivery_changes_nothing(
    engine: Engine, business: Any, webhook_client: Any, stripe_api: StripeApiServer
) -> None:
    subscribe_functions(get_local_bus())  # each publish runs its functions inline
    requested = capture(topics.SETTLEMENTS_REQUESTED)
    deliver(webhook_client, "ch_usd_1", 5000, "usd")
    deliver(webhook_client, "ch_usd_2", 3000, "usd")
    deliver(webhook_client, "ch_eur", 4000, "eur")
    before = gross_volume_12m(engine, business)

    get_local_bus().publish(ReconcileTick())  # Cloud Scheduler's tick

    # 5,000 + 3,000 = 8,000 before; + the EUR charge's settled 4,321 = 12,321 after.
    assert before == 8000
    assert gross_volume_12m(engine, business) == 12_321
    assert len(requested) == 1 and stripe_api.requests == [
        ("GET", "/v1/balance_transactions/txn_ch_eur", ACCOUNT)
    ]
    assert [tuple(r) for r in job_runs(engine)] == [("succeeded", 1)]

    # Pub/Sub delivers the same request again, to the deployed entry point.
    assert push(function("fetch_settlements"), requested[0]) == 200

    assert len(stripe_api.requests) == 1
    assert [tuple(r) for r in job_runs(engine)] == [("succeeded", 1)]


def test_a_request_naming_another_tenants_account_is_acknowledged_and_reads_nothing(
    engine: Engine, business: Any, stripe_api: StripeApiServer
) -> None:
    intruder = add_business(
        Database(engine), "Other", "acct_1SomeoneElse000", livemode=False
    ).business_id
    requested = capture(topics.SETTLEMENTS_REQUESTED)
    get_local_bus().publish(
        SettlementsRequested(
            business_id=intruder, account_id=ACCOUNT, requested_at=datetime.now(UTC)
        )
    )

    assert push(function("fetch_settlements"), requested[0]) == 200
    assert stripe_api.requests == [] and job_runs(engine) == []
