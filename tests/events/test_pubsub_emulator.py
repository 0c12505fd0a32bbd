"""Pub/Sub emulator → push subscription → functions-framework server → the fixture function."""

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
        publisher = PubSubPublisher(PROJECT, {})
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
