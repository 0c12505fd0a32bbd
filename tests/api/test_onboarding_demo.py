"""Demo data: a founder without Stripe loads a generated business through the real ingest path —
raw events stored and applied as webhooks are, then metrics, their history and a score — and has a
score within a minute. The bus runs the functions' real handlers inline (a synchronous local bus),
so when the request returns, everything it set off has run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.bootstrap import Runtime, reset_runtime
from vaultra.config import get_settings
from vaultra.entrypoints import cloud_event_handler
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus
from vaultra.sample_data.generator import GENERATOR_VERSION, generate
from vaultra.services.demo_data import demo_account_id, demo_seed

from tests.api.conftest import User
from tests.support.onboarding import (
    add_viewer,
    as_uuid,
    onboarding_runtime,
    rows,
    scalar,
    subscribe_functions_but,
    verify_email,
)

SCORE_WITHIN_S = 60


@pytest.fixture
def bus() -> LocalBus:
    return LocalBus(synchronous=True)


@pytest.fixture
def runtime(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    bus: LocalBus,
) -> Iterator[Runtime]:
    runtime = onboarding_runtime(monkeypatch, engine, database_url, tmp_path, bus)
    subscribe_functions_but(bus)
    yield runtime
    reset_runtime()
    get_settings.cache_clear()


def demo(client: TestClient, user: User, business: str, scenario: str) -> Any:
    return client.post(
        f"/api/v1/businesses/{business}/demo-data",
        json={"scenario": scenario},
        headers=user.headers,
    )


def test_demo_data_gives_a_score_within_a_minute(
    client: TestClient, alice: User, engine: Engine, bus: LocalBus
) -> None:
    business = alice.business(client, "Demo SaaS")["id"]

    started = time.monotonic()
    answer = demo(client, alice, business, "steady_saas")
    elapsed = time.monotonic() - started

    assert answer.status_code == 202, answer.text
    assert answer.json()["account_id"] == demo_account_id(as_uuid(business))
    assert elapsed < SCORE_WITHIN_S
    sync = client.get(f"/api/v1/businesses/{business}/stripe/sync", headers=alice.headers).json()
    assert sync["state"] == "ready" and sync["first_score_ready"] is True
    assert sync["connection"]["demo"] is True and sync["error"] is None
    assert sync["resources"]["charges"]["objects"] > 0 and sync["months_done"] >= 24
    score = scalar(
        engine, "SELECT score FROM readiness_scores WHERE business_id = :b LIMIT 1", b=business
    )
    assert 0 <= score <= 100


def test_demo_data_goes_through_the_ingest_path_webhooks_take(
    client: TestClient, alice: User, engine: Engine
) -> None:
    business = alice.business(client, "Seedling")["id"]

    answer = demo(client, alice, business, "early_stage")

    until = datetime.fromisoformat(answer.json()["history_until"])
    history = generate(
        "early_stage",
        seed=demo_seed(as_uuid(business)),
        now=int(until.timestamp()),
        account=demo_account_id(as_uuid(business)),
    )
    stored = rows(
        engine,
        "SELECT status, count(*) AS n FROM stripe_events WHERE business_id = :b GROUP BY status",
        b=business,
    )
    assert sum(r.n for r in stored) == len(history.events)  # every event kept raw
    assert {r.status for r in stored} <= {"applied", "ignored"}
    charges = scalar(engine, "SELECT count(*) FROM charges WHERE business_id = :b", b=business)
    assert charges == len(history.objects["charges"])
    assert scalar(engine, "SELECT count(*) FROM metric_runs WHERE business_id = :b", b=business)
    audit = rows(
        engine,
        "SELECT user_id, detail FROM audit_log WHERE action = 'demo_data.loaded' AND business_id = :b",
        b=business,
    )
    assert [(str(a.user_id), a.detail["scenario"]) for a in audit] == [(alice.id, "early_stage")]


def test_the_demo_load_records_the_generator_version_that_made_the_data(
    client: TestClient, alice: User, engine: Engine
) -> None:
    """The load's job record names the generator version (its ids depend on it), so whoever reads
    a business's demo data can tell which generator made it."""
    business = alice.business(client)["id"]

    demo(client, alice, business, "early_stage")

    loads = rows(
        engine,
        "SELECT status, detail FROM job_runs WHERE kind = 'demo_data' AND business_id = :b",
        b=business,
    )
    assert [(r.status, r.detail["generator_version"]) for r in loads] == [
        ("succeeded", GENERATOR_VERSION)
    ]


def test_a_second_demo_or_a_connected_business_answers_409_and_changes_nothing(
    client: TestClient, alice: User, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    demo(client, alice, business, "early_stage")
    events_before = scalar(engine, "SELECT count(*) FROM stripe_events")

    again = demo(client, alice, business, "risky_merchant")

    assert again.status_code == 409
    assert again.json()["type"].endswith("/has-stripe-data")
    assert scalar(engine, "SELECT count(*) FROM stripe_events") == events_before


def test_demo_data_still_answers_409_after_its_demo_was_disconnected(
    client: TestClient, alice: User
) -> None:
    business = alice.business(client)["id"]
    demo(client, alice, business, "early_stage")
    gone = client.delete(f"/api/v1/businesses/{business}/stripe", headers=alice.headers)

    again = demo(client, alice, business, "early_stage")

    assert gone.status_code == 204
    assert again.status_code == 409  # the demo's data stays, and a ledger is one account's


def test_a_business_holding_demo_data_cannot_connect_stripe(
    client: TestClient, alice: User, engine: Engine
) -> None:
    verify_email(engine, alice.id)
    business = alice.business(client)["id"]
    demo(client, alice, business, "early_stage")

    oauth = client.post(f"/api/v1/businesses/{business}/stripe/connect", headers=alice.headers)
    key = client.post(
        f"/api/v1/businesses/{business}/stripe/restricted-key",
        json={"key": "rk_test_" + "a" * 24},
        headers=alice.headers,
    )

    assert oauth.status_code == key.status_code == 409
    assert oauth.json()["type"].endswith("/business-holds-other-data")
    assert key.json()["type"].endswith("/business-holds-other-data")


def test_a_redelivered_demo_request_changes_nothing(
    client: TestClient, alice: User, engine: Engine, bus: LocalBus
) -> None:
    captured: list[Any] = []
    bus.subscribe(topics.DEMO_DATA_REQUESTED, captured.append, subscription="capture")
    business = alice.business(client)["id"]
    demo(client, alice, business, "early_stage")
    runs_before = rows(engine, "SELECT status, attempts FROM job_runs WHERE kind = 'demo_data'")

    cloud_event_handler("load_demo_data")(captured[0])  # Pub/Sub delivers it again

    assert runs_before == rows(
        engine, "SELECT status, attempts FROM job_runs WHERE kind = 'demo_data'"
    )
    assert [r.status for r in runs_before] == ["succeeded"]


@pytest.mark.parametrize(
    "body", [{"scenario": "unicorn"}, {}, {"scenario": "early_stage", "extra": 1}]
)
def test_a_request_that_names_no_scenario_is_422_and_links_nothing(
    client: TestClient, alice: User, engine: Engine, body: dict[str, Any]
) -> None:
    business = alice.business(client)["id"]

    answer = client.post(
        f"/api/v1/businesses/{business}/demo-data", json=body, headers=alice.headers
    )

    assert answer.status_code == 422
    assert answer.json()["errors"]
    assert scalar(engine, "SELECT count(*) FROM stripe_connections") == 0


def test_only_an_owner_loads_demo_data(
    client: TestClient, alice: User, bob: User, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    add_viewer(engine, business, bob.id)

    answer = demo(client, bob, business, "early_stage")

    assert answer.status_code == 403
    assert scalar(engine, "SELECT count(*) FROM stripe_connections") == 0
