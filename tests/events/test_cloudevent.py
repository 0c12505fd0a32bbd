from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from cloudevents.http import CloudEvent
from vaultra.events import topics
from vaultra.events.cloudevent import (
    decode_cloud_event,
    message_from_cloud_event,
    message_id_of,
)
from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import (
    BackfillRequested,
    InvalidMessage,
    StripeDataChanged,
    message_attributes,
)

AT = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


def changed() -> StripeDataChanged:
    return StripeDataChanged(
        business_id=uuid4(), account_id="acct_1", livemode=False, reason="webhook", changed_at=AT
    )


def raw_push_body(message: StripeDataChanged, message_id: str = "4242") -> dict[str, Any]:
    """What a Pub/Sub push subscription POSTs to its endpoint."""
    return {
        "message": {
            "data": base64.b64encode(message.encode()).decode(),
            "attributes": message_attributes(message),
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": "2025-01-31T12:00:01.000Z",
            "publish_time": "2025-01-31T12:00:01.000Z",
        },
        "subscription": "projects/proj-test/subscriptions/push-sub",
    }


def pubsub_event(data: Any, attributes: dict[str, str] | None = None) -> CloudEvent:
    return CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": f"//pubsub.googleapis.com/projects/p/topics/{topics.STRIPE_DATA_CHANGED}",
            "id": "77",
            **(attributes or {}),
        },
        data,
    )


def test_the_functions_framework_push_shape_decodes_without_subscription_or_topic() -> None:
    message = changed()
    body = raw_push_body(message)["message"]
    event = CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/",
            "id": "4242",
        },
        {
            "message": {
                "@type": "type.googleapis.com/google.pubsub.v1.PubsubMessage",
                "data": body["data"],
                "attributes": body["attributes"],
                "messageId": "4242",
                "publishTime": body["publishTime"],
            }
        },
    )

    decoded = decode_cloud_event(event, StripeDataChanged)

    assert decoded.message == message
    assert (decoded.message_id, decoded.topic, decoded.subscription) == ("4242", None, None)
    assert decoded.publish_time == body["publishTime"]


def test_the_message_id_falls_back_to_the_cloud_event_id() -> None:
    event = pubsub_event({"message": {"data": ""}})

    assert message_id_of(event) == "77"


def test_a_message_of_another_type_is_rejected_by_its_type_attribute() -> None:
    bus = LocalBus()
    received: list[CloudEvent] = []
    bus.subscribe(topics.STRIPE_DATA_CHANGED, received.append)
    bus.publish(changed())

    with pytest.raises(InvalidMessage, match="type attribute is 'StripeDataChanged'"):
        message_from_cloud_event(received[0], BackfillRequested)


def test_data_that_is_not_base64_is_an_invalid_message() -> None:
    event = pubsub_event({"message": {"data": "%%% not base64 %%%", "messageId": "1"}})

    with pytest.raises(InvalidMessage, match="not valid base64"):
        message_from_cloud_event(event, StripeDataChanged)


def test_an_event_without_a_pubsub_message_is_an_invalid_message() -> None:
    event = pubsub_event({"something": "else"})

    with pytest.raises(InvalidMessage, match="no Pub/Sub message data"):
        message_from_cloud_event(event, StripeDataChanged)


def test_a_schema_violation_inside_the_envelope_is_an_invalid_message() -> None:
    payload = json.loads(changed().encode())
    payload["card_number"] = "4242424242424242"
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    event = pubsub_event({"message": {"data": data, "messageId": "1"}})

    with pytest.raises(InvalidMessage) as excinfo:
        message_from_cloud_event(event, StripeDataChanged)

    assert "card_number: Extra inputs are not permitted" in str(excinfo.value)
    assert "4242424242424242" not in str(excinfo.value)
