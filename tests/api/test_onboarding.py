"""Stripe onboarding: Connect OAuth with a read-only scope, or a restricted key; the import's
progress; disconnecting; and the owner told when access is revoked in Stripe.

Stripe is the loopback server of its API (`vaultra_dev.stripe_api`), reached through the official
SDK — the authorize page a founder approves on, the code exchange, and the reads. A browser is a
cookie jar of its own: the OAuth state is bound to the one that asked for it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.api.routers.stripe_connection import STATE_COOKIE
from vaultra.bootstrap import Runtime, reset_runtime
from vaultra.config import get_settings
from vaultra.entrypoints import cloud_event_handler
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus
from vaultra.sample_data.generator import generate
from vaultra.services import credentials
from vaultra.services.onboarding import STATE_TTL
from vaultra_dev.stripe_api import StripeApiServer

from tests.api.conftest import User
from tests.support.onboarding import (
    PUBLIC_URL,
    add_viewer,
    onboarding_runtime,
    rows,
    scalar,
    subscribe_functions_but,
    verify_email,
)

FOUNDER_ACCOUNT = "acct_1FounderOnboard0"
OTHER_ACCOUNT = "acct_1SomeoneElse0000"
WEBHOOK_SECRET = "whsec_onboarding_tests"
CALLBACK = "/api/v1/stripe/oauth/callback"


@pytest.fixture
def stripe_api() -> Iterator[StripeApiServer]:
    now = int(time.time())
    with StripeApiServer() as server:
        server.add_history(generate("early_stage", seed=3, now=now, account=FOUNDER_ACCOUNT))
        server.add_history(generate("early_stage", seed=4, now=now, account=OTHER_ACCOUNT))
        server.oauth_user = FOUNDER_ACCOUNT  # who is signed in at Stripe, in the browser
        yield server


@pytest.fixture
def bus() -> LocalBus:
    return LocalBus(synchronous=True)


@pytest.fixture
def backfills(bus: LocalBus) -> list[Any]:
    """Every "backfill requested", as Pub/Sub would push it; a test delivers them itself."""
    captured: list[Any] = []
    bus.subscribe(topics.BACKFILL_REQUESTED, captured.append, subscription="held")
    return captured


@pytest.fixture
def runtime(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    bus: LocalBus,
    stripe_api: StripeApiServer,
) -> Iterator[Runtime]:
    runtime = onboarding_runtime(
        monkeypatch,
        engine,
        database_url,
        tmp_path,
        bus,
        STRIPE_API_KEY=stripe_api.api_key,
        STRIPE_API_BASE=stripe_api.base_url,
        STRIPE_CONNECT_BASE=stripe_api.base_url,
        STRIPE_CONNECT_CLIENT_ID=stripe_api.client_id,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    subscribe_functions_but(bus, held=("backfill_account",))
    yield runtime
    reset_runtime()
    get_settings.cache_clear()


@pytest.fixture
def founder(client: TestClient, alice: User, engine: Engine) -> User:
    verify_email(engine, alice.id)
    return alice


@dataclass(frozen=True)
class Started:
    authorize_url: str
    state: str
    cookie: str  # what the asking browser holds


def start(client: TestClient, user: User, business: str) -> Started:
    answer = client.post(f"/api/v1/businesses/{business}/stripe/connect", headers=user.headers)
    assert answer.status_code == 200, answer.text
    cookie = answer.cookies[STATE_COOKIE]
    client.cookies.clear()  # each browser below sends its own cookie, explicitly
    url = answer.json()["authorize_url"]
    return Started(url, parse_qs(urlsplit(url).query)["state"][0], cookie)


def approve_at_stripe(started: Started) -> str:
    """The founder's browser on Stripe's authorize page: where Stripe sends it back."""
    answer = httpx.get(started.authorize_url, follow_redirects=False)
    assert answer.status_code == 302
    return str(answer.headers["location"])


def come_back(client: TestClient, location: str, cookie: str | None) -> dict[str, list[str]]:
    """The browser arriving at the callback from Stripe; returns the dashboard's query."""
    parts = urlsplit(location)
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}
    answer = client.get(f"{parts.path}?{parts.query}", headers=headers, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{PUBLIC_URL}/app"
    return parse_qs(target.query)


def linked(engine: Engine) -> list[Any]:
    return rows(
        engine,
        "SELECT business_id, account_id, livemode, credentials_encrypted, deauthorized_at "
        "FROM stripe_connections",
    )


def sync(client: TestClient, user: User, business: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/businesses/{business}/stripe/sync", headers=user.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def connect_key(client: TestClient, user: User, business: str, key: str) -> httpx.Response:
    return client.post(
        f"/api/v1/businesses/{business}/stripe/restricted-key",
        json={"key": key},
        headers=user.headers,
    )


def post_webhook(client: TestClient, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    return client.post(
        "/stripe/webhook",
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def stripe_event(account: str, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "account": account,
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": type_,
        "data": {"object": obj},
    }


def deauthorized(account: str) -> dict[str, Any]:
    application = {"id": "ca_vaultra_loopback", "object": "application", "name": "Vaultra"}
    return stripe_event(account, "account.application.deauthorized", application)


# --- Connect OAuth ----------------------------------------------------------------------------


def test_connecting_through_stripe_links_the_account_read_only_and_starts_its_import(
    client: TestClient,
    founder: User,
    engine: Engine,
    runtime: Runtime,
    stripe_api: StripeApiServer,
    backfills: list[Any],
) -> None:
    business = founder.business(client)["id"]

    started = start(client, founder, business)
    dashboard = come_back(client, approve_at_stripe(started), started.cookie)

    assert dashboard == {"connected": [business]}
    query = parse_qs(urlsplit(started.authorize_url).query)
    assert started.authorize_url.startswith(f"{stripe_api.base_url}/oauth/authorize?")
    assert query["scope"] == ["read_only"] and query["response_type"] == ["code"]
    assert query["client_id"] == [stripe_api.client_id]
    assert query["redirect_uri"] == [f"{PUBLIC_URL}{CALLBACK}"]
    [link] = linked(engine)
    assert (str(link.business_id), link.account_id, link.livemode) == (
        business,
        FOUNDER_ACCOUNT,
        False,
    )
    token = credentials.decrypt(runtime.settings, link.credentials_encrypted)
    assert token.startswith("rk_test_") and token.encode() not in link.credentials_encrypted
    assert scalar(engine, "SELECT used_at IS NOT NULL FROM oauth_states")
    assert ("POST", "/oauth/token", None) in stripe_api.requests
    assert len(backfills) == 1
    [audit] = rows(
        engine, "SELECT user_id, detail FROM audit_log WHERE action = 'connection.changed'"
    )
    assert str(audit.user_id) == founder.id
    assert audit.detail == {
        "change": "connected",
        "via": "oauth",
        "account_id": FOUNDER_ACCOUNT,
        "livemode": False,
    }


def test_the_import_progresses_from_importing_to_ready_with_a_first_score(
    client: TestClient, founder: User, backfills: list[Any]
) -> None:
    business = founder.business(client)["id"]
    started = start(client, founder, business)
    come_back(client, approve_at_stripe(started), started.cookie)

    before = sync(client, founder, business)
    cloud_event_handler("backfill_account")(backfills[0])  # Pub/Sub pushes the request
    after = sync(client, founder, business)

    assert before["state"] == "importing" and before["first_score_ready"] is False
    assert before["connection"]["account_id"] == FOUNDER_ACCOUNT
    assert after["state"] == "ready" and after["first_score_ready"] is True
    assert after["resources"]["charges"]["objects"] > 0
    assert after["months_done"] >= 3 and after["last_event_at"] is not None
    assert after["error"] is None


def test_a_failed_import_says_why_without_quoting_the_key(
    client: TestClient, founder: User, stripe_api: StripeApiServer, backfills: list[Any]
) -> None:
    business = founder.business(client)["id"]
    started = start(client, founder, business)
    come_back(client, approve_at_stripe(started), started.cookie)
    platform = stripe.StripeClient(
        stripe_api.api_key,
        client_id=stripe_api.client_id,
        base_addresses={"api": stripe_api.base_url, "connect": stripe_api.base_url},
    )
    platform.oauth.deauthorize(params={"stripe_user_id": FOUNDER_ACCOUNT})  # token revoked

    cloud_event_handler("backfill_account")(backfills[0])
    state = sync(client, founder, business)

    assert state["state"] == "failed"
    assert "Invalid API Key" in state["error"] and "[key]" in state["error"]
    assert "rk_test_" not in state["error"]


def test_a_founder_who_declines_at_stripe_links_nothing(
    client: TestClient, founder: User, engine: Engine, stripe_api: StripeApiServer
) -> None:
    business = founder.business(client)["id"]
    stripe_api.oauth_user = None  # "Deny" on Stripe's page

    started = start(client, founder, business)
    dashboard = come_back(client, approve_at_stripe(started), started.cookie)

    assert dashboard == {"connect_error": ["access-denied"], "business": [business]}
    assert linked(engine) == []


def test_an_expired_state_is_refused_and_links_nothing(
    client: TestClient,
    founder: User,
    engine: Engine,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    business = founder.business(client)["id"]
    started = start(client, founder, business)
    location = approve_at_stripe(started)
    later = runtime.clock() + STATE_TTL + timedelta(seconds=1)
    monkeypatch.setattr(runtime.onboarding, "_clock", lambda: later)

    dashboard = come_back(client, location, started.cookie)

    assert dashboard == {"connect_error": ["state-expired"], "business": [business]}
    assert linked(engine) == []


def test_a_state_is_used_once(client: TestClient, founder: User, engine: Engine) -> None:
    business = founder.business(client)["id"]
    started = start(client, founder, business)
    location = approve_at_stripe(started)
    declined = location.replace("code=", "error=access_denied&stale=")
    come_back(client, declined, started.cookie)  # the state's one use: declined

    again = come_back(client, location, started.cookie)

    assert again == {"connect_error": ["state-used"], "business": [business]}
    assert linked(engine) == []


def test_a_state_completed_in_another_users_browser_is_refused_and_stays_unused(
    client: TestClient, founder: User, bob: User, engine: Engine
) -> None:
    business = founder.business(client)["id"]
    verify_email(engine, bob.id)
    alices = start(client, founder, business)
    bobs = start(client, bob, bob.business(client, "Bob's")["id"])
    location = approve_at_stripe(alices)

    in_bobs_browser = come_back(client, location, bobs.cookie)
    without_cookie = come_back(client, location, None)

    assert in_bobs_browser == without_cookie == {"connect_error": ["state-not-this-browser"]}
    assert linked(engine) == []
    assert scalar(engine, "SELECT count(*) FROM oauth_states WHERE used_at IS NOT NULL") == 0
    # Alice's own browser still completes it.
    assert come_back(client, location, alices.cookie) == {"connected": [business]}


def test_a_state_for_another_business_is_refused(
    client: TestClient, founder: User, engine: Engine
) -> None:
    first = founder.business(client, "First")["id"]
    second = founder.business(client, "Second")["id"]
    for_first = start(client, founder, first)
    for_second = start(client, founder, second)  # this browser now connects the second

    dashboard = come_back(client, approve_at_stripe(for_first), for_second.cookie)

    assert dashboard == {"connect_error": ["state-not-this-browser"]}
    assert linked(engine) == []


@pytest.mark.parametrize("state", ["", "forged-state", "x" * 64])
def test_an_unknown_state_is_refused(
    client: TestClient, founder: User, engine: Engine, state: str
) -> None:
    location = f"{PUBLIC_URL}{CALLBACK}?code=ac_whatever&state={state}"

    dashboard = come_back(client, location, state or None)

    assert dashboard["connect_error"] == ["state-missing" if not state else "state-unknown"]
    assert "business" not in dashboard
    assert linked(engine) == []


def test_a_code_stripe_refuses_links_nothing(
    client: TestClient, founder: User, engine: Engine
) -> None:
    business = founder.business(client)["id"]
    started = start(client, founder, business)
    location = f"{PUBLIC_URL}{CALLBACK}?code=ac_neverissued&state={started.state}"

    dashboard = come_back(client, location, started.cookie)

    assert dashboard == {"connect_error": ["stripe-refused"], "business": [business]}
    assert linked(engine) == []


def test_connecting_needs_a_verified_email_address(
    client: TestClient, alice: User, engine: Engine
) -> None:
    business = alice.business(client)["id"]

    answer = client.post(f"/api/v1/businesses/{business}/stripe/connect", headers=alice.headers)
    with_key = connect_key(client, alice, business, "rk_test_" + "a" * 24)

    assert answer.status_code == with_key.status_code == 403
    assert answer.json()["type"].endswith("/email-not-verified")
    assert with_key.json()["type"].endswith("/email-not-verified")
    assert scalar(engine, "SELECT count(*) FROM oauth_states") == 0


def test_a_viewer_may_follow_the_import_but_not_connect_or_disconnect(
    client: TestClient, founder: User, bob: User, engine: Engine, stripe_api: StripeApiServer
) -> None:
    business = founder.business(client)["id"]
    add_viewer(engine, business, bob.id)
    verify_email(engine, bob.id)
    key = stripe_api.add_restricted_key(FOUNDER_ACCOUNT)

    refused = [
        client.post(f"/api/v1/businesses/{business}/stripe/connect", headers=bob.headers),
        connect_key(client, bob, business, key),
        client.delete(f"/api/v1/businesses/{business}/stripe", headers=bob.headers),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert sync(client, bob, business)["state"] == "idle"
    assert linked(engine) == []


# --- A restricted key -------------------------------------------------------------------------


def test_a_valid_restricted_key_is_checked_stored_encrypted_and_starts_the_import(
    client: TestClient,
    founder: User,
    engine: Engine,
    runtime: Runtime,
    stripe_api: StripeApiServer,
    backfills: list[Any],
) -> None:
    business = founder.business(client)["id"]
    key = stripe_api.add_restricted_key(FOUNDER_ACCOUNT)

    answer = connect_key(client, founder, business, key)

    assert answer.status_code == 201, answer.text
    assert answer.json() == {"account_id": FOUNDER_ACCOUNT, "livemode": False}
    assert key not in answer.text
    [link] = linked(engine)
    assert key.encode() not in link.credentials_encrypted
    assert credentials.decrypt(runtime.settings, link.credentials_encrypted) == key
    read = {path.split("?")[0] for _, path, _ in stripe_api.requests}
    assert {"/v1/account", "/v1/charges", "/v1/balance_transactions", "/v1/events"} <= read
    assert len(backfills) == 1
    detail = scalar(engine, "SELECT detail FROM audit_log WHERE action = 'connection.changed'")
    assert detail["via"] == "restricted_key" and key not in json.dumps(detail)


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("sk_test_" + "a" * 24, "not-a-restricted-key"),  # a secret key can write
        ("rk_test_short", "not-a-restricted-key"),
        ("pk_test_" + "a" * 24, "not-a-restricted-key"),
        ("rk_test_" + "Z" * 24, "stripe-key-refused"),  # well formed, unknown to Stripe
    ],
)
def test_an_invalid_key_is_refused_with_what_was_wrong_and_links_nothing(
    client: TestClient, founder: User, engine: Engine, key: str, kind: str
) -> None:
    business = founder.business(client)["id"]

    answer = connect_key(client, founder, business, key)

    assert answer.status_code == 422
    assert answer.json()["type"].endswith(f"/{kind}") and answer.json()["detail"]
    assert key not in answer.text
    assert linked(engine) == []


def test_connecting_a_connected_business_or_a_linked_account_answers_409(
    client: TestClient, founder: User, engine: Engine, stripe_api: StripeApiServer
) -> None:
    business = founder.business(client, "First")["id"]
    other = founder.business(client, "Second")["id"]
    connect_key(client, founder, business, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))

    twice = connect_key(client, founder, business, stripe_api.add_restricted_key(OTHER_ACCOUNT))
    oauth = client.post(f"/api/v1/businesses/{business}/stripe/connect", headers=founder.headers)
    elsewhere = connect_key(client, founder, other, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))

    assert [twice.status_code, oauth.status_code, elsewhere.status_code] == [409, 409, 409]
    assert twice.json()["type"].endswith("/already-connected")
    assert elsewhere.json()["type"].endswith("/account-linked-elsewhere")
    assert [str(link.business_id) for link in linked(engine)] == [business]


# --- Disconnecting ----------------------------------------------------------------------------


def test_disconnecting_stops_ingest_forgets_the_key_and_keeps_the_data(
    client: TestClient,
    founder: User,
    engine: Engine,
    stripe_api: StripeApiServer,
    backfills: list[Any],
) -> None:
    business = founder.business(client)["id"]
    connect_key(client, founder, business, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))
    cloud_event_handler("backfill_account")(backfills[0])
    charges = scalar(engine, "SELECT count(*) FROM charges WHERE business_id = :b", b=business)

    gone = client.delete(f"/api/v1/businesses/{business}/stripe", headers=founder.headers)
    charge = {"id": "ch_after", "object": "charge", "amount": 500, "currency": "usd"}
    later = post_webhook(client, stripe_event(FOUNDER_ACCOUNT, "charge.succeeded", charge))

    assert gone.status_code == 204
    [link] = linked(engine)
    assert link.deauthorized_at is not None and link.credentials_encrypted is None
    assert later.json()["status"] == "pending_link"  # no longer applied to the business
    assert scalar(engine, "SELECT count(*) FROM charges WHERE business_id = :b", b=business) == (
        charges
    )
    state = sync(client, founder, business)
    assert state["state"] == "idle" and state["connection"]["disconnected_at"] is not None
    assert (
        client.get(f"/api/v1/businesses/{business}", headers=founder.headers).json()["stripe"]
        is None
    )
    changes = rows(
        engine,
        "SELECT detail->>'change' AS change FROM audit_log WHERE action = 'connection.changed' "
        "ORDER BY at",
    )
    assert [c.change for c in changes] == ["connected", "disconnected"]
    again = client.delete(f"/api/v1/businesses/{business}/stripe", headers=founder.headers)
    assert again.status_code == 409 and again.json()["type"].endswith("/not-connected")


def test_a_disconnected_business_reconnects_its_own_account_only(
    client: TestClient, founder: User, engine: Engine, stripe_api: StripeApiServer
) -> None:
    business = founder.business(client)["id"]
    connect_key(client, founder, business, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))
    client.delete(f"/api/v1/businesses/{business}/stripe", headers=founder.headers)

    another = connect_key(client, founder, business, stripe_api.add_restricted_key(OTHER_ACCOUNT))
    its_own = connect_key(client, founder, business, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))

    assert another.status_code == 409
    assert another.json()["type"].endswith("/business-holds-other-data")
    assert its_own.status_code == 201
    [link] = linked(engine)
    assert link.account_id == FOUNDER_ACCOUNT and link.deauthorized_at is None


# --- Access revoked in Stripe -----------------------------------------------------------------


def test_a_deauthorization_in_stripe_revokes_the_link_and_tells_the_owner_once(
    client: TestClient, founder: User, engine: Engine, stripe_api: StripeApiServer
) -> None:
    business = founder.business(client)["id"]
    connect_key(client, founder, business, stripe_api.add_restricted_key(FOUNDER_ACCOUNT))
    event = deauthorized(FOUNDER_ACCOUNT)

    first = post_webhook(client, event)
    redelivered = post_webhook(client, event)

    assert first.status_code == redelivered.status_code == 200
    [link] = linked(engine)
    assert link.deauthorized_at is not None
    [notice] = rows(
        engine,
        "SELECT kind, severity, title, body, data FROM notifications WHERE business_id = :b",
        b=business,
    )
    assert (notice.kind, notice.severity) == ("stripe_access_revoked", "critical")
    assert FOUNDER_ACCOUNT in notice.body and notice.data["event_id"] == event["id"]
    assert sync(client, founder, business)["state"] == "idle"
    [mail] = rows(
        engine,
        "SELECT to_address, subject, body FROM mail_outbox WHERE subject LIKE 'Stripe access%'",
    )
    assert mail.to_address == founder.email
    assert FOUNDER_ACCOUNT in mail.body and f"/app?business={business}" in mail.body
