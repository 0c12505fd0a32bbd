from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from vaultra.bootstrap import build_publisher
from vaultra.config import Settings
from vaultra.events import topics
from vaultra.events.local_bus import LocalBus, get_local_bus, reset_local_bus
from vaultra.events.messages import (
    DailyRefresh,
    Message,
    MetricsComputed,
    StripeDataChanged,
    decode,
)
from vaultra.events.publisher import Publisher, coalesce
from vaultra.events.pubsub import PubSubPublisher

AT = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


def changed(business_id: UUID, minutes: int = 0, reason: str = "webhook") -> StripeDataChanged:
    return StripeDataChanged(
        business_id=business_id,
        account_id="acct_1",
        livemode=False,
        reason=reason,  # type: ignore[arg-type]
        changed_at=AT + timedelta(minutes=minutes),
    )


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def fresh_default_bus() -> Any:
    reset_local_bus()
    yield
    reset_local_bus()


def test_coalesce_keeps_one_message_per_topic_and_business_the_latest_wins() -> None:
    a, b = uuid4(), uuid4()
    messages: list[Message] = [
        changed(a, 0),
        changed(b, 1),
        changed(a, 2, "backfill"),
        MetricsComputed(business_id=a, as_of=AT.date(), computed_at=AT),
        changed(b, 3),
    ]

    kept = coalesce(messages)

    assert kept == [
        changed(a, 2, "backfill"),
        changed(b, 3),
        MetricsComputed(business_id=a, as_of=AT.date(), computed_at=AT),
    ]


def test_coalesce_removes_only_equal_messages_without_a_business() -> None:
    kept = coalesce([DailyRefresh(), DailyRefresh(), DailyRefresh(as_of=AT.date())])

    assert kept == [DailyRefresh(), DailyRefresh(as_of=AT.date())]


def test_publish_many_publishes_one_message_per_affected_business() -> None:
    bus = LocalBus()
    received: list[Any] = []
    bus.subscribe(topics.STRIPE_DATA_CHANGED, received.append)
    a, b = uuid4(), uuid4()

    ids = bus.publish_many([changed(a), changed(a, 1), changed(b), changed(a, 2)])

    assert len(ids) == 2
    assert [event["id"] for event in received] == ids


def test_build_publisher_local_is_the_process_wide_local_bus_and_is_not_closed_with_a_runtime() -> (
    None
):
    publisher, release = build_publisher(settings(VAULTRA_EVENT_BUS="local"))

    assert publisher is get_local_bus()
    assert isinstance(publisher, Publisher)
    assert release is None


def test_messages_go_to_the_topics_of_the_topics_module() -> None:
    received: list[Any] = []
    get_local_bus().subscribe(topics.STRIPE_DATA_CHANGED, received.append)

    get_local_bus().publish(changed(uuid4()))

    assert len(received) == 1
    assert received[0]["source"].endswith(f"/topics/{topics.STRIPE_DATA_CHANGED}")


def test_build_publisher_pubsub_needs_a_project() -> None:
    with pytest.raises(ValueError, match="GCP_PROJECT"):
        build_publisher(settings(VAULTRA_EVENT_BUS="pubsub"))


def test_build_publisher_pubsub_uses_the_project_and_is_released_with_the_runtime() -> None:
    publisher, release = build_publisher(settings(VAULTRA_EVENT_BUS="pubsub", GCP_PROJECT="proj-1"))

    assert isinstance(publisher, PubSubPublisher)
    assert publisher.project == "proj-1"
    assert publisher.topic_path(DailyRefresh()) == f"projects/proj-1/topics/{topics.DAILY_REFRESH}"
    assert release == publisher.close


class FakeFuture:
    def __init__(self, result: str | Exception) -> None:
        self._result = result
        self.timeouts: list[float | None] = []

    def result(self, timeout: float | None = None) -> str:
        self.timeouts.append(timeout)
        if isinstance(self._result, Exception):
            raise self._result
        return self._result


class FakePublisherClient:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.published: list[tuple[str, bytes, dict[str, str]]] = []
        self.futures: list[FakeFuture] = []

    def publish(self, topic: str, data: bytes, **attributes: str) -> FakeFuture:
        self.published.append((topic, data, attributes))
        future = FakeFuture(self.fail or str(1000 + len(self.published)))
        self.futures.append(future)
        return future


def test_pubsub_publisher_sends_json_bytes_with_type_and_business_attributes() -> None:
    client = FakePublisherClient()
    publisher = PubSubPublisher("proj-1", client=client, timeout_s=7.0)
    message = changed(uuid4())

    message_id = publisher.publish(message)

    assert message_id == "1001"
    [(topic, data, attributes)] = client.published
    assert topic == f"projects/proj-1/topics/{topics.STRIPE_DATA_CHANGED}"
    assert decode(StripeDataChanged, data) == message
    assert attributes == {"type": "StripeDataChanged", "business_id": str(message.business_id)}
    assert client.futures[0].timeouts == [7.0]


def test_pubsub_publisher_publish_many_coalesces_and_returns_every_id() -> None:
    client = FakePublisherClient()
    publisher = PubSubPublisher("proj-1", client=client)
    a, b = uuid4(), uuid4()

    ids = publisher.publish_many([changed(a), changed(b), changed(a, 5)])

    assert ids == ["1001", "1002"]
    assert [decode(StripeDataChanged, data) for _, data, _ in client.published] == [
        changed(a, 5),
        changed(b),
    ]


def test_pubsub_publisher_errors_propagate_to_the_caller() -> None:
    publisher = PubSubPublisher("proj-1", client=FakePublisherClient(fail=TimeoutError("slow")))

    with pytest.raises(TimeoutError):
        publisher.publish(DailyRefresh())


def test_pubsub_publisher_creates_no_client_until_the_first_publish() -> None:
    publisher = PubSubPublisher("proj-1")

    assert publisher._client is None
