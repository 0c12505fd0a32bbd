"""Decode a Pub/Sub `messagePublished` CloudEvent into a message model.

Two shapes arrive at a `@functions_framework.cloud_event` handler, and both decode here:

* Eventarc (Cloud Functions gen2) and `LocalBus`: `data = {"message": {"data": <base64>,
  "messageId", "message_id", "publishTime", "publish_time", "attributes"},
  "subscription": "projects/…"}` and `source = "//pubsub.googleapis.com/projects/<p>/topics/<t>"`.
* functions-framework's conversion of a raw Pub/Sub push body (a push subscription pointed straight
  at the function, e.g. the emulator): `data = {"message": {"@type": …, "data", "attributes",
  "messageId", "publishTime"}}`, event `id` = the message id, and a `source` that names the topic
  only when the push URL path contains `projects/<p>/topics/<t>`.

The message id is the idempotency key: Pub/Sub redelivers the same id, never exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from vaultra.events.messages import MESSAGE_TYPES, InvalidMessage, Message, decode

MESSAGE_PUBLISHED_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
PUBSUB_SERVICE = "pubsub.googleapis.com"

_TOPIC_SOURCE = re.compile(r"^//pubsub\.googleapis\.com/projects/([^/]+)/topics/([^/?]+)$")

M = TypeVar("M", bound=Message)


def topic_source(project: str, topic: str) -> str:
    """The CloudEvent `source` of messages published to a topic."""
    return f"//{PUBSUB_SERVICE}/projects/{project}/topics/{topic}"


def rfc3339_now() -> str:
    """Current UTC time as Pub/Sub writes it, e.g. `2025-01-31T12:00:00.123Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ReceivedMessage(Generic[M]):
    """A decoded message with its delivery metadata."""

    message: M
    message_id: str  # use as the idempotency key
    attributes: dict[str, str]
    publish_time: str | None
    topic: str | None  # None when the event source does not name it
    subscription: str | None


def _envelope_error(model_cls: type[Message], reason: str) -> InvalidMessage:
    return InvalidMessage(model_cls, reason, [("(envelope)", reason)])


def _event_data(event: Any) -> Any:
    data = event.get_data() if hasattr(event, "get_data") else event.data
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    return data


def _pubsub_message(event: Any, model_cls: type[Message]) -> tuple[dict[str, Any], Any]:
    data = _event_data(event)
    if not isinstance(data, dict):
        raise _envelope_error(model_cls, "CloudEvent data is not a Pub/Sub push envelope")
    message = data.get("message", data)
    if not isinstance(message, dict) or "data" not in message:
        raise _envelope_error(model_cls, "CloudEvent data has no Pub/Sub message data")
    return message, data


def message_id_of(event: Any) -> str:
    """The Pub/Sub message id of an event (falls back to the CloudEvent id, which equals it)."""
    data = _event_data(event)
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, dict):
        for key in ("messageId", "message_id"):
            if message.get(key):
                return str(message[key])
    return str(event["id"])


def decode_cloud_event(event: Any, model_cls: type[M]) -> ReceivedMessage[M]:
    """Decode `event` into `model_cls` with its message id; raise `InvalidMessage` if it cannot.

    A message whose `type` attribute names another model is rejected, so a function subscribed to
    the wrong topic fails loudly. An `InvalidMessage` will never succeed on retry: a handler should
    log it and return (acknowledge) rather than raise.
    """
    message, envelope = _pubsub_message(event, model_cls)
    raw_attributes = message.get("attributes") or {}
    attributes = {str(k): str(v) for k, v in raw_attributes.items()}
    declared = attributes.get("type")
    if declared is not None and declared != model_cls.__name__:
        raise _envelope_error(model_cls, f"message type attribute is {declared[:64]!r}")
    try:
        body = base64.b64decode(message["data"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise _envelope_error(model_cls, "message data is not valid base64") from None
    decoded = decode(model_cls, body)
    match = _TOPIC_SOURCE.match(str(event.get("source") or ""))
    subscription = envelope.get("subscription")
    return ReceivedMessage(
        message=decoded,
        message_id=message_id_of(event),
        attributes=attributes,
        publish_time=message.get("publishTime") or message.get("publish_time") or event.get("time"),
        topic=match.group(2) if match else None,
        subscription=str(subscription) if subscription else None,
    )


def message_from_cloud_event(event: Any, model_cls: type[M]) -> M:
    """Just the message model of `event` (see `decode_cloud_event` for the id and metadata)."""
    return decode_cloud_event(event, model_cls).message


def decode_cloud_event_as_one_of(
    event: Any, model_classes: tuple[type[Message], ...]
) -> ReceivedMessage[Message]:
    """Decode a message that may be any of `model_classes` (a function fed by several topics).

    The `type` attribute picks the model; without one, each model is tried in order. Raises the
    last model's `InvalidMessage` when none fits.
    """
    message, _ = _pubsub_message(event, model_classes[0])
    declared = (message.get("attributes") or {}).get("type")
    candidates = [m for m in model_classes if m.__name__ == declared] if declared else []
    if declared and not candidates:
        names = ", ".join(m.__name__ for m in model_classes)
        raise _envelope_error(
            model_classes[0], f"message type {str(declared)[:64]!r} is not {names}"
        )
    error: InvalidMessage | None = None
    for model_cls in candidates or list(model_classes):
        try:
            return decode_cloud_event(event, model_cls)
        except InvalidMessage as exc:
            error = exc
    assert error is not None
    raise error


@dataclass(frozen=True)
class DeadLetter:
    """What a delivery from a dead-letter topic says of the message Pub/Sub gave up on.

    Read from whatever arrived, never raising: an undecodable letter is still worth keeping, with
    the reason it could not be read. Messages carry identifiers only, so `data` is safe to keep.
    """

    message_id: str
    message_type: str | None
    source_subscription: str | None
    delivery_attempts: int | None
    business_id: UUID | None
    data: dict[str, Any] | None
    error: str | None = None


def read_dead_letter(event: Any) -> DeadLetter:
    data = _event_data(event)
    found = data.get("message", data) if isinstance(data, dict) else None
    message: dict[str, Any] = found if isinstance(found, dict) else {}
    raw_attributes = message.get("attributes")
    attributes: dict[str, Any] = raw_attributes if isinstance(raw_attributes, dict) else {}
    attempts = str(attributes.get("CloudPubSubDeadLetterSourceDeliveryCount", ""))
    message_type = str(attributes["type"])[:64] if attributes.get("type") else None
    decoded: dict[str, Any] | None = None
    error = None
    model = MESSAGE_TYPES.get(message_type or "")
    if model is None:
        error = "no known message type attribute"
    else:
        try:
            body = base64.b64decode(message.get("data") or "", validate=True)
            decoded = decode(model, body).model_dump(mode="json")
        except InvalidMessage as exc:
            error = str(exc)[:500]
        except (binascii.Error, TypeError, ValueError):
            error = "message data is not valid base64"
    business = (decoded or {}).get("business_id")
    return DeadLetter(
        message_id=message_id_of(event),
        message_type=message_type,
        source_subscription=(
            str(attributes["CloudPubSubDeadLetterSourceSubscription"])[:255]
            if attributes.get("CloudPubSubDeadLetterSourceSubscription")
            else None
        ),
        delivery_attempts=int(attempts) if attempts.isdigit() else None,
        business_id=UUID(business) if business else None,
        data=decoded,
        error=error,
    )
