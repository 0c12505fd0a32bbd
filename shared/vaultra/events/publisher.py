"""The publishing port: what services depend on, whichever bus carries the messages.

Adapters: `vaultra.events.local_bus.LocalBus` (in-process, local development, tests and the CLI) and
`vaultra.events.pubsub.PubSubPublisher` (Google Cloud Pub/Sub, or its emulator).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from vaultra.events import topics
from vaultra.events.messages import Message

if TYPE_CHECKING:
    from vaultra.config import Settings


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


def topic_names_from_settings(settings: Settings) -> dict[str, str]:
    """Map each default topic name (`Message.TOPIC`) to the name configured for this deployment."""
    return {
        topics.STRIPE_DATA_CHANGED: settings.topic_stripe_data_changed,
        topics.BACKFILL_REQUESTED: settings.topic_backfill_requested,
        topics.METRICS_COMPUTED: settings.topic_metrics_computed,
        topics.DAILY_REFRESH: settings.topic_daily_refresh,
        topics.METRICS_REFRESH_REQUESTED: settings.topic_metrics_refresh_requested,
    }


def build_publisher(settings: Settings | None = None) -> Publisher:
    """The publisher chosen by `VAULTRA_EVENT_BUS`: "local" (process-wide LocalBus) or "pubsub"."""
    if settings is None:
        from vaultra.config import get_settings

        settings = get_settings()
    names = topic_names_from_settings(settings)
    if settings.event_bus == "pubsub":
        if not settings.gcp_project:
            raise ValueError("GCP_PROJECT must be set when VAULTRA_EVENT_BUS=pubsub")
        from vaultra.events.pubsub import PubSubPublisher

        return PubSubPublisher(settings.gcp_project, names)

    from vaultra.events.local_bus import get_local_bus

    bus = get_local_bus()
    bus.set_topic_names(names)
    return bus
