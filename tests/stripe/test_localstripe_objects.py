"""Objects made by an independent Stripe implementation (localstripe, a stateful fake Stripe
server) normalize into the ledger: a check of the mapping that does not rely on our own generator.

localstripe has no `created` filters, Connect or disputes, so the windowed backfill itself is tested
against the loopback list API (tests/services/test_backfill.py); here the same SDK listing,
auto-pagination, mapping and set-based writer import what localstripe serves.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import stripe
from sqlalchemy import Engine, text
from vaultra.db.ledger_writer import Batch, write_batch
from vaultra.db.unit_of_work import Database
from vaultra.services.businesses import add_business
from vaultra.stripe import mapping
from vaultra.stripe.client import build_client
from vaultra_dev.loopback import free_port

API_KEY = "sk_test_vaultra_localstripe"
SERVE = (
    "import sys, aiohttp.web, localstripe.server as s; "
    "aiohttp.web.run_app(s.app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.delete(f"{url}/_config/data", timeout=1)  # start from an empty store
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def populate(client: stripe.StripeClient) -> dict[str, str]:
    """A customer on a monthly plan (subscription → invoice → charge), a one-off charge partly
    refunded, and a payout — through the official SDK, as a merchant's own code would."""

    def card_token() -> str:
        return client.v1.tokens.create(
            params={
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 12,
                    "exp_year": 2030,
                    "cvc": "123",
                }
            }
        ).id

    customer = client.v1.customers.create(
        params={"email": "founder@example.com", "source": card_token()}
    )
    product = client.v1.products.create(params={"name": "Pro"})
    plan = client.v1.plans.create(
        params={"amount": 4900, "currency": "usd", "interval": "month", "product": product.id}
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"plan": plan.id, "quantity": 2}]}
    )
    one_off = client.v1.charges.create(
        params={"amount": 12000, "currency": "usd", "customer": customer.id}
    )
    client.v1.refunds.create(params={"charge": one_off.id, "amount": 2000})
    payout = client.v1.payouts.create(params={"amount": 5000, "currency": "eur"})
    return {
        "customer": customer.id,
        "subscription": subscription.id,
        "one_off": one_off.id,
        "payout": payout.id,
    }


def test_objects_from_localstripe_land_in_the_ledger(engine: Engine, localstripe_url: str) -> None:
    client = build_client(API_KEY, localstripe_url, account=None, requests_per_s=1000)
    ids = populate(client)
    business_id = add_business(
        Database(engine), "Local", "acct_1LocalStripe0001", False
    ).business_id

    batch = Batch()
    read_at = time.time()
    listings = {
        "customers": client.v1.customers.list(params={"limit": 2}),
        "subscriptions": client.v1.subscriptions.list(params={"limit": 2, "status": "all"}),
        "invoices": client.v1.invoices.list(params={"limit": 2}),
        "charges": client.v1.charges.list(params={"limit": 2}),  # pages of 2: auto-pagination
        "refunds": client.v1.refunds.list(params={"limit": 2}),
        "payouts": client.v1.payouts.list(params={"limit": 2}),
    }
    for listing in listings.values():
        for obj in listing.auto_paging_iter():
            batch.add(
                mapping.normalize(
                    obj.to_dict(for_json=True), observed_at=int(read_at), source="snapshot"
                ),
                read_at,
                "",
            )
    with engine.begin() as conn:
        write_batch(conn, business_id, False, batch)

    with engine.connect() as conn:
        charges = conn.execute(
            text("SELECT id, amount, amount_refunded, status FROM charges ORDER BY amount")
        ).all()
        item = conn.execute(
            text("SELECT unit_amount, quantity, interval FROM subscription_items")
        ).one()
        line = conn.execute(text("SELECT unit_amount, quantity, interval FROM invoice_lines")).one()
        sub = conn.execute(text("SELECT status, customer_id FROM subscriptions")).one()
        payout = conn.execute(text("SELECT amount, currency FROM payouts")).one()
        refund = conn.execute(text("SELECT amount, charge_id FROM refunds")).one()
    assert [(c.amount, c.amount_refunded, c.status) for c in charges] == [
        (9800, 0, "succeeded"),  # the subscription's first invoice: 2 × 49.00
        (12000, 2000, "succeeded"),  # the one-off, partly refunded
    ]
    assert tuple(item) == tuple(line) == (4900, 2, "month")
    assert tuple(sub) == ("active", ids["customer"])
    assert tuple(payout) == (5000, "eur")
    assert tuple(refund) == (2000, ids["one_off"])
