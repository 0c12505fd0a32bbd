from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from cloudevents.http import CloudEvent
from vaultra.events import topics
from vaultra.events.cloudevent import decode_cloud_event, message_from_cloud_event
from vaultra.events.local_bus import LocalBus, get_local_bus, reset_local_bus
from vaultra.events.messages import DailyRefresh, StripeDataChanged

AT = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
TOPIC = topics.STRIPE_DATA_CHANGED


def changed(account_id: str = "acct_1") -> StripeDataChanged:
    return StripeDataChanged(
        business_id=uuid4(), account_id=account_id, livemode=True, reason="link", changed_at=AT
    )


def fast_bus(**kwargs: Any) -> LocalBus:
    return LocalBus(project="proj-test", backoff_initial_s=0.001, backoff_max_s=0.005, **kwargs)


class Flaky:
    """A handler that fails its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[CloudEvent] = []

    def __call__(self, event: CloudEvent) -> None:
        self.calls.append(event)
        if len(self.calls) <= self.failures:
            raise RuntimeError(f"transient failure {len(self.calls)}")


def test_a_subscriber_receives_a_pubsub_message_published_cloud_event() -> None:
    bus = fast_bus()
    received: list[CloudEvent] = []
    bus.subscribe(TOPIC, received.append, subscription="metrics")
    message = changed()

    message_id = bus.publish(message)

    [event] = received
    assert isinstance(event, CloudEvent)
    assert event["specversion"] == "1.0"
    assert event["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert event["source"] == f"//pubsub.googleapis.com/projects/proj-test/topics/{TOPIC}"
    assert event["id"] == message_id
    assert message_id.isdigit()
    assert event["time"].endswith("Z")
    assert set(event.data) == {"message", "subscription"}
    assert event.data["subscription"] == "projects/proj-test/subscriptions/metrics"
    pubsub_message = event.data["message"]
    assert pubsub_message["messageId"] == pubsub_message["message_id"] == message_id
    assert pubsub_message["publishTime"] == pubsub_message["publish_time"] == event["time"]
    assert pubsub_message["attributes"] == {
        "type": "StripeDataChanged",
        "business_id": str(message.business_id),
    }
    assert json.loads(base64.b64decode(pubsub_message["data"])) == json.loads(message.encode())


def test_the_delivered_cloud_event_decodes_back_to_the_message_with_its_id() -> None:
    bus = fast_bus()
    received: list[CloudEvent] = []
    bus.subscribe(TOPIC, received.append, subscription="metrics")
    message = changed()

    message_id = bus.publish(message)

    decoded = decode_cloud_event(received[0], StripeDataChanged)
    assert decoded.message == message
    assert decoded.message_id == message_id
    assert decoded.topic == TOPIC
    assert decoded.subscription == "projects/proj-test/subscriptions/metrics"
    assert message_from_cloud_event(received[0], StripeDataChanged) == message


def test_every_subscription_gets_every_message_and_other_topics_get_none() -> None:
    bus = fast_bus()
    first: list[CloudEvent] = []
    second: list[CloudEvent] = []
    refresh: list[CloudEvent] = []
    bus.subscribe(TOPIC, first.append, subscription="a")
    bus.subscribe(TOPIC, second.append, subscription="b")
    bus.subscribe(topics.DAILY_REFRESH, refresh.append)

    bus.publish(changed())

    assert len(first) == len(second) == 1
    assert first[0]["id"] == second[0]["id"]
    assert refresh == []


def test_a_failing_handler_is_retried_with_the_same_message_id_until_it_succeeds() -> None:
    bus = fast_bus(max_attempts=5)
    handler = Flaky(failures=2)
    bus.subscribe(TOPIC, handler)

    message_id = bus.publish(changed())

    assert len(handler.calls) == 3
    assert {event["id"] for event in handler.calls} == {message_id}
    assert bus.dead_letters == []


def test_after_max_attempts_the_delivery_is_dead_lettered_and_logged_without_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = fast_bus(max_attempts=3)
    handler = Flaky(failures=100)
    bus.subscribe(TOPIC, handler, subscription="doomed")
    caplog.set_level(logging.INFO, logger="vaultra.events.local_bus")

    message_id = bus.publish(changed(account_id="acct_private_marker"))

    assert len(handler.calls) == 3
    [dead] = bus.dead_letters
    assert (dead.topic, dead.subscription, dead.message_id, dead.attempts) == (
        TOPIC,
        "doomed",
        message_id,
        3,
    )
    assert isinstance(dead.error, RuntimeError)
    assert "dead-lettered" in caplog.text
    assert message_id in caplog.text
    assert "acct_private_marker" not in caplog.text
    assert dead.event.data["message"]["data"] not in caplog.text


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    bus = LocalBus(backoff_initial_s=0.1, backoff_multiplier=2.0, backoff_max_s=0.5)

    assert [bus._backoff(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_background_mode_delivers_on_a_worker_thread_and_drain_waits_for_retries() -> None:
    bus = fast_bus(synchronous=False)
    handler = Flaky(failures=1)
    threads: list[str] = []

    def record(event: CloudEvent) -> None:
        threads.append(threading.current_thread().name)
        handler(event)

    bus.subscribe(TOPIC, record)
    try:
        ids = [bus.publish(changed()) for _ in range(3)]

        drained = bus.drain(timeout=5)
    finally:
        bus.close()

    assert drained
    assert len(handler.calls) == 4  # one retry
    assert {event["id"] for event in handler.calls} == set(ids)
    assert set(threads) == {"vaultra-local-bus-0"}
    assert bus.dead_letters == []


def test_several_workers_deliver_at_once_so_a_long_delivery_holds_no_other() -> None:
    bus = fast_bus(synchronous=False, workers=2)
    release = threading.Event()
    done: list[str] = []

    def slow(event: CloudEvent) -> None:
        release.wait(5)
        done.append("slow")

    def quick(event: CloudEvent) -> None:
        done.append("quick")
        release.set()

    bus.subscribe(TOPIC, slow, subscription="slow")
    bus.subscribe(TOPIC, quick, subscription="quick")
    try:
        bus.publish(changed())
        drained = bus.drain(timeout=10)
    finally:
        bus.close()

    assert drained and done == ["quick", "slow"]  # the quick one was not held behind the slow


def test_drain_reports_a_timeout_while_a_handler_is_still_busy() -> None:
    bus = fast_bus(synchronous=False)
    release = threading.Event()
    bus.subscribe(TOPIC, lambda event: release.wait(5))
    try:
        bus.publish(changed())

        busy = bus.drain(timeout=0.05)
        release.set()
        done = bus.drain(timeout=5)
    finally:
        release.set()
        bus.close()

    assert (busy, done) == (False, True)
    assert bus.pending() == 0


def test_a_closed_bus_refuses_to_publish() -> None:
    bus = fast_bus(synchronous=False)
    bus.close()

    with pytest.raises(RuntimeError, match="closed"):
        bus.publish(DailyRefresh())


def test_the_process_wide_bus_is_one_synchronous_instance_until_reset() -> None:
    reset_local_bus()
    try:
        bus = get_local_bus()

        assert get_local_bus() is bus
        assert bus.synchronous
        reset_local_bus()
        assert get_local_bus() is not bus
    finally:
        reset_local_bus()
