"""Pub/Sub emulator → push subscription → functions-framework server → a Cloud Function."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from vaultra.events import topics
from vaultra.events.messages import StripeDataChanged
from vaultra.events.pubsub import PubSubPublisher, ensure_topics_and_push_subscriptions

from .pubsub_emulator import emulator_missing_reason, run_functions_framework, run_pubsub_emulator

FIXTURE_SOURCE = Path(__file__).parent / "fixture_functions" / "main.py"
TARGET = "record_stripe_data_changed"
RECORD_FILE_ENV = "VAULTRA_FIXTURE_RECORD_FILE"
PROJECT = "vaultra-emulator-test"


def wait_for_records(path: Path, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if lines:
                return [json.loads(line) for line in lines]
        time.sleep(0.1)
    return []


@pytest.mark.integration
def test_a_message_published_to_the_emulator_reaches_the_cloud_function_by_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = emulator_missing_reason()
    if reason:
        pytest.skip(reason)
    record = tmp_path / "received.jsonl"
    sent = StripeDataChanged(
        business_id=uuid4(),
        account_id="acct_emulated",
        livemode=False,
        reason="webhook",
        changed_at=datetime(2025, 1, 31, 12, 0, tzinfo=UTC),
    )

    with (
        run_pubsub_emulator() as emulator_host,
        run_functions_framework(TARGET, FIXTURE_SOURCE, {RECORD_FILE_ENV: str(record)}) as url,
    ):
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
        endpoints = {topics.STRIPE_DATA_CHANGED: f"{url}/"}
        all_topics = list(topics.TOPICS.values())
        ensure_topics_and_push_subscriptions(PROJECT, all_topics, endpoints)
        subscriptions = ensure_topics_and_push_subscriptions(PROJECT, all_topics, endpoints)
        publisher = PubSubPublisher(PROJECT)
        try:
            message_id = publisher.publish(sent)
        finally:
            publisher.close()
        received = wait_for_records(record)

    assert subscriptions == {
        topics.STRIPE_DATA_CHANGED: (
            f"projects/{PROJECT}/subscriptions/{topics.STRIPE_DATA_CHANGED}-push"
        )
    }
    assert received, "the function recorded nothing within 20 s"
    assert {line["message_id"] for line in received} == {message_id}  # at least once
    line = received[0]
    assert line["event_type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert line["attributes"] == {"type": "StripeDataChanged", "business_id": str(sent.business_id)}
    assert StripeDataChanged.model_validate(line["message"]) == sent


@pytest.mark.integration
def test_a_backfill_request_through_the_emulator_imports_the_account(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The production path end to end: publish → push → the real `backfill_account` function →
    the stripe SDK against a loopback Stripe API → the ledger."""
    reason = emulator_missing_reason()
    if reason:
        pytest.skip(reason)
    from sqlalchemy import text
    from vaultra.db.engine import engine_for_url
    from vaultra.db.unit_of_work import Database
    from vaultra.events.messages import BackfillRequested
    from vaultra.services.businesses import add_business
    from vaultra_dev.stripe_api import StripeApiServer

    from tests.support import histories

    engine = engine_for_url(database_url)
    business_id = add_business(
        Database(engine), "Hand-made Co", histories.ACCOUNT, False
    ).business_id
    source = Path(__file__).parents[2] / "functions" / "backfill_account" / "main.py"

    with StripeApiServer() as stripe_api:
        stripe_api.add_account(
            histories.ACCOUNT,
            histories.objects(),
            histories.events(),
            now=histories.NOW,
            created=histories.NOW - 120 * histories.DAY,
        )
        env = {
            "DATABASE_URL": database_url,
            "STRIPE_API_KEY": stripe_api.api_key,
            "STRIPE_API_BASE": stripe_api.base_url,
            "VAULTRA_EVENT_BUS": "local",
        }
        with (
            run_pubsub_emulator() as emulator_host,
            run_functions_framework("backfill_account", source, env) as url,
        ):
            monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
            ensure_topics_and_push_subscriptions(
                PROJECT, list(topics.TOPICS.values()), {topics.BACKFILL_REQUESTED: f"{url}/"}
            )
            publisher = PubSubPublisher(PROJECT)
            try:
                publisher.publish(
                    BackfillRequested(
                        business_id=business_id,
                        account_id=histories.ACCOUNT,
                        requested_at=datetime.now(UTC),
                    )
                )
            finally:
                publisher.close()
            deadline = time.monotonic() + 60
            status = None
            while time.monotonic() < deadline and status != "succeeded":
                time.sleep(0.5)
                with engine.connect() as conn:
                    status = conn.execute(text("SELECT status FROM job_runs")).scalar()

    with engine.connect() as conn:
        charges = conn.execute(text("SELECT count(*) FROM charges")).scalar_one()
    engine.dispose()
    assert status == "succeeded"
    assert charges == 3


def test_the_daily_tick_through_the_emulator_computes_every_business(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Cloud Scheduler's path end to end: the tick → push → the real `schedule_refresh` → one
    "metrics refresh requested" per business on Pub/Sub → push → the real `compute_metrics` →
    snapshots in PostgreSQL."""
    reason = emulator_missing_reason()
    if reason:
        pytest.skip(reason)
    from datetime import date

    from sqlalchemy import text
    from vaultra.db.engine import engine_for_url
    from vaultra.db.unit_of_work import Database
    from vaultra.events.messages import DailyRefresh
    from vaultra.services.businesses import add_business

    engine = engine_for_url(database_url)
    for n in range(3):
        add_business(Database(engine), f"Business {n}", f"acct_1EmulatorTick{n:04d}", False)
    functions = Path(__file__).parents[2] / "functions"

    with run_pubsub_emulator() as emulator_host:
        env = {
            "DATABASE_URL": database_url,
            "VAULTRA_EVENT_BUS": "pubsub",
            "GCP_PROJECT": PROJECT,
            "PUBSUB_EMULATOR_HOST": emulator_host,
            "METRICS_DEBOUNCE_S": "0",
        }
        with (
            run_functions_framework(
                "schedule_refresh", functions / "schedule_refresh" / "main.py", env
            ) as schedule_url,
            run_functions_framework(
                "compute_metrics", functions / "compute_metrics" / "main.py", env
            ) as compute_url,
        ):
            monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
            ensure_topics_and_push_subscriptions(
                PROJECT,
                list(topics.TOPICS.values()),
                {
                    topics.DAILY_REFRESH: f"{schedule_url}/",
                    topics.METRICS_REFRESH_REQUESTED: f"{compute_url}/",
                },
            )
            publisher = PubSubPublisher(PROJECT)
            try:
                publisher.publish(DailyRefresh(as_of=date(2026, 10, 31)))
            finally:
                publisher.close()
            deadline = time.monotonic() + 60
            computed = 0
            while time.monotonic() < deadline and computed < 3:
                time.sleep(0.5)
                with engine.connect() as conn:
                    computed = conn.execute(
                        text("SELECT count(*) FROM metric_runs WHERE as_of = '2026-10-31'")
                    ).scalar_one()

    engine.dispose()
    assert computed == 3
