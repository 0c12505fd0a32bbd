"""The publishing port: what services depend on, whichever bus carries the messages.

Adapters: `vaultra.events.local_bus.LocalBus` (in-process: local development, tests, the CLI) and
`vaultra.events.pubsub.PubSubPublisher` (Google Cloud Pub/Sub, or its emulator). The composition
root (`vaultra.bootstrap`) chooses one per process.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Protocol, runtime_checkable

from vaultra.events.messages import Message


@runtime_checkable
class Publisher(Protocol):
    def publish(self, message: Message) -> str:
        """Publish one message; return its message id. Errors propagate (the caller retries)."""
        ...

    def publish_many(self, messages: Iterable[Message]) -> list[str]:
        """Publish `coalesce(messages)`; return one message id per message actually published."""
        ...


def coalesce(messages: Iterable[Message]) -> list[Message]:
    """One message per topic and business, in first-seen order; a later duplicate wins.

    Consumers re-read the business's data, so two "business X changed" messages do the same work
    as one. The last message of a business wins (its timestamps are the most recent). Messages
    without a `business_id` (e.g. `DailyRefresh`) are only deduplicated when they are equal.
    """
    kept: dict[tuple[str, Hashable], Message] = {}
    for message in messages:
        business_id = getattr(message, "business_id", None)
        key: tuple[str, Hashable] = (
            message.TOPIC,
            ("business", business_id) if business_id is not None else ("message", message),
        )
        kept[key] = message  # an existing key keeps its position and takes the newer message
    return list(kept.values())
