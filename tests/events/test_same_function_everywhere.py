"""One Cloud Function, three transports: LocalBus, the functions-framework HTTP binding, and
(in test_pubsub_emulator.py) a real Pub/Sub push."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import functions_framework
import pytest
from cloudevents.conversion import to_structured
from cloudevents.http import CloudEvent
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import StripeDataChanged, message_attributes

FIXTURE_SOURCE = Path(__file__).parent / "fixture_functions" / "main.py"
TARGET = "record_stripe_data_changed"


def load_fixture_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vaultra_events_fixture_main", FIXTURE_SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def record_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "received.jsonl"
    monkeypatch.setenv(load_fixture_module().RECORD_FILE_ENV, str(path))
    return path


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def message() -> StripeDataChanged:
    return StripeDataChanged(
        business_id=uuid4(),
        account_id="acct_1",
        livemode=False,
        reason="backfill",
        changed_at=datetime(2025, 1, 31, 12, 0, tzinfo=UTC),
    )


def test_the_fixture_function_decodes_a_message_delivered_by_the_local_bus(
    record_file: Path,
) -> None:
    handler: Callable[[CloudEvent], None] = getattr(load_fixture_module(), TARGET)
    bus = LocalBus(project="proj-test")
    bus.subscribe(topics.STRIPE_DATA_CHANGED, handler, subscription="fn")
    sent = message()

    message_id = bus.publish(sent)

    [line] = records(record_file)
    assert line["message_id"] == message_id
    assert line["topic"] == topics.STRIPE_DATA_CHANGED
    assert line["subscription"] == "projects/proj-test/subscriptions/fn"
    assert StripeDataChanged.model_validate(line["message"]) == sent


def test_the_same_function_served_by_functions_framework_decodes_the_local_bus_event(
    record_file: Path,
) -> None:
    bus = LocalBus(project="proj-test")
    events: list[CloudEvent] = []
    bus.subscribe(topics.STRIPE_DATA_CHANGED, events.append, subscription="fn")
    sent = message()
    message_id = bus.publish(sent)
    client = functions_framework.create_app(
        TARGET, str(FIXTURE_SOURCE), signature_type="cloudevent"
    ).test_client()
    headers, body = to_structured(events[0])

    response = client.post("/", headers=headers, data=body)

    assert response.status_code == 200
    [line] = records(record_file)
    assert line["message_id"] == message_id
    assert line["topic"] == topics.STRIPE_DATA_CHANGED
    assert line["subscription"] == "projects/proj-test/subscriptions/fn"
    assert StripeDataChanged.model_validate(line["message"]) == sent


def test_the_same_function_decodes_a_raw_pubsub_push_converted_by_functions_framework(
    record_file: Path,
) -> None:
    sent = message()
    data = base64.b64encode(sent.encode()).decode()
    push_body = {  # what a Pub/Sub push subscription POSTs to its endpoint
        "message": {
            "data": data,
            "attributes": message_attributes(sent),
            "messageId": "4242",
            "message_id": "4242",
            "publishTime": "2025-01-31T12:00:01.000Z",
            "publish_time": "2025-01-31T12:00:01.000Z",
        },
        "subscription": "projects/proj-test/subscriptions/push-sub",
    }
    client = functions_framework.create_app(
        TARGET, str(FIXTURE_SOURCE), signature_type="cloudevent"
    ).test_client()

    response = client.post(
        f"/projects/proj-test/topics/{topics.STRIPE_DATA_CHANGED}", json=push_body
    )

    assert response.status_code == 200
    [line] = records(record_file)
    assert line["message_id"] == "4242"
    assert line["topic"] == topics.STRIPE_DATA_CHANGED
    assert line["event_type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert StripeDataChanged.model_validate(line["message"]) == sent
