"""Whole generated histories through the real ingest paths: the ledger depends only on the
history, never on the order, the duplicates or the path (webhook vs backfill) it came by."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from sqlalchemy import Engine, text
from vaultra.db.businesses import LinkedAccount
from vaultra.db.models import LEDGER_TABLES
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.sample_data.generator import StripeHistory, generate
from vaultra.services.backfill import Backfill
from vaultra.services.businesses import add_business
from vaultra.services.webhook import WebhookReceiver
from vaultra.stripe.client import build_client
from vaultra_dev.stripe_api import StripeApiServer

SECRET = "whsec_equivalence"
NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
LEDGER = (*LEDGER_TABLES, "subscription_states")


@pytest.fixture(scope="module")
def history() -> StripeHistory:
    # Every archetype's features in one account would be ideal; the risky merchant has charges,
    # refunds, disputes, failed payouts and subscriptions, at a size that keeps this test quick.
    return generate("risky_merchant", seed=11, now=NOW, account="acct_1EquivalenceTest", scale=0.25)


@pytest.fixture(scope="module")
def saas_history() -> StripeHistory:
    return generate("steady_saas", seed=5, now=NOW, account="acct_1EquivalenceSaaS", scale=0.2)


def link(engine: Engine, account: str) -> LinkedAccount:
    business_id = add_business(Database(engine), "Equivalence", account, livemode=False).business_id
    return LinkedAccount(business_id, account, False)


def deliver(engine: Engine, events: list[dict[str, Any]]) -> None:
    receiver = WebhookReceiver(Database(engine), LocalBus(), [SECRET], tolerance_s=10**9)
    for event in events:
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=NOW)
        assert receiver.receive(body.encode(), header).status_code == 200


def snapshot(
    engine: Engine,
    tables: tuple[str, ...] = LEDGER,
    without: tuple[str, ...] = ("business_id",),
    where: str = "true",
) -> dict[str, list[tuple]]:
    """Every row of every ledger table, tenant column aside, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in tables:
            condition = where if table == "customers" else "true"
            result = conn.execute(text(f"SELECT * FROM {table} WHERE {condition}"))
            keep = [i for i, c in enumerate(result.keys()) if c not in without]
            out[table] = sorted((tuple(repr(row[i]) for i in keep) for row in result), key=str)
    return out


def shuffled_with_duplicates(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    deliveries = events + rng.sample(events, len(events) // 5)
    rng.shuffle(deliveries)
    return deliveries


@pytest.fixture
def second_engine(pg_admin_url: str, template_database: str) -> Iterator[Engine]:
    from vaultra.db.embedded import drop_database, ensure_database
    from vaultra.db.engine import engine_for_url

    from tests.conftest import _url_for

    name = f"vaultra_second_{random.randrange(10**9)}"
    ensure_database(pg_admin_url, name, template=template_database)
    engine = engine_for_url(_url_for(pg_admin_url, name))
    yield engine
    engine.dispose()
    drop_database(pg_admin_url, name)


@pytest.mark.parametrize("which", ["history", "saas_history"])
def test_shuffled_duplicated_delivery_gives_the_ordered_ledger(
    engine: Engine, second_engine: Engine, which: str, request: pytest.FixtureRequest
) -> None:
    hist: StripeHistory = request.getfixturevalue(which)
    link(engine, hist.account)
    link(second_engine, hist.account)

    deliver(engine, hist.events)
    deliver(second_engine, shuffled_with_duplicates(hist.events, seed=3))

    ordered, shuffled = snapshot(engine), snapshot(second_engine)
    assert sum(len(rows) for rows in ordered.values()) > 1000
    for table in LEDGER:
        assert shuffled[table] == ordered[table], table


def test_events_before_the_link_give_the_same_ledger(
    engine: Engine, second_engine: Engine, history: StripeHistory
) -> None:
    link(engine, history.account)
    deliver(engine, history.events)

    deliver(second_engine, shuffled_with_duplicates(history.events, seed=9))  # nobody linked yet
    link(second_engine, history.account)

    assert snapshot(second_engine) == snapshot(engine)


def test_webhooks_and_backfill_agree_on_the_final_state(
    engine: Engine, second_engine: Engine, history: StripeHistory
) -> None:
    link(engine, history.account)
    deliver(engine, history.events)
    account = link(second_engine, history.account)
    with StripeApiServer() as server:
        server.add_history(history)
        client = build_client(
            server.api_key, server.base_url, account=history.account, requests_per_s=1000
        )
        Backfill(
            Database(second_engine),
            client,
            account,
            LocalBus(),
            clock=lambda: datetime.fromtimestamp(NOW, UTC),
        ).run()

    # The final state of every object both paths carry must match; versions differ by design
    # (event time vs read time), only the backfill lists balance transactions, and Stripe's
    # list of customers leaves deleted ones out.
    tables = (
        "customers",
        "charges",
        "refunds",
        "disputes",
        "payouts",
        "invoices",
        "subscriptions",
        "subscription_items",
    )
    ignore = ("business_id", "version_at", "version_key", "closed_at")
    by_webhook = snapshot(engine, tables, ignore, where="NOT deleted")
    by_backfill = snapshot(second_engine, tables, ignore)
    for table in tables:
        assert by_backfill[table] == by_webhook[table], table
