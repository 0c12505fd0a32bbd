"""Google Cloud Pub/Sub adapter of the publishing port.

`google.cloud.pubsub_v1.PublisherClient` talks to the emulator by itself when
`PUBSUB_EMULATOR_HOST` is set (it reads the variable when the client is created, i.e. on the
first publish).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from vaultra.events.messages import Message, message_attributes
from vaultra.events.publisher import coalesce

DEFAULT_PUBLISH_TIMEOUT_S = 30.0


class PubSubPublisher:
    """Publishes messages as JSON bytes to `projects/<project>/topics/<Message.TOPIC>`.

    One client per process (the composition root keeps this publisher): creating a
    `PublisherClient` per message opens a gRPC channel each time. Publishing blocks until Pub/Sub
    acknowledges (or `timeout_s` passes) and errors propagate, so a caller can answer "retry" to
    whoever asked.
    """

    def __init__(
        self,
        project: str,
        client: Any | None = None,
        *,
        timeout_s: float = DEFAULT_PUBLISH_TIMEOUT_S,
    ) -> None:
        if not project:
            raise ValueError("a Google Cloud project id is required")
        self.project = project
        self.timeout_s = timeout_s
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The `PublisherClient`, created on first use."""
        with self._lock:
            if self._client is None:
                self._client = pubsub_v1.PublisherClient()
            return self._client

    def topic_path(self, message: Message) -> str:
        return f"projects/{self.project}/topics/{message.TOPIC}"

    def _start(self, message: Message) -> Any:
        return self.client.publish(
            self.topic_path(message), message.encode(), **message_attributes(message)
        )

    def publish(self, message: Message) -> str:
        return str(self._start(message).result(timeout=self.timeout_s))

    def publish_many(self, messages: Iterable[Message]) -> list[str]:
        # Start every publish first so the client batches them, then wait for all.
        futures = [self._start(message) for message in coalesce(messages)]
        return [str(future.result(timeout=self.timeout_s)) for future in futures]

    def close(self) -> None:
        """Flush pending messages and release the client (only one this object created)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.stop()
            client.transport.close()


def ensure_topics_and_push_subscriptions(
    project: str,
    topics: Iterable[str],
    push_endpoints: Mapping[str, str] | None = None,
    *,
    subscription_suffix: str = "-push",
    ack_deadline_s: int = 10,
    publisher_client: Any | None = None,
    subscriber_client: Any | None = None,
) -> dict[str, str]:
    """Create topics and push subscriptions if missing (local stack / emulator set-up).

    Idempotent: existing topics are kept; an existing subscription gets its push endpoint updated.
    Returns `{topic: subscription path}` for every topic in `push_endpoints`. A push endpoint that
    is not in `topics` gets its topic created too. Clients are created (honouring
    `PUBSUB_EMULATOR_HOST`) and closed here unless passed in.
    """
    endpoints = dict(push_endpoints or {})
    all_topics = list(dict.fromkeys([*topics, *endpoints]))
    own_publisher = publisher_client is None
    own_subscriber = subscriber_client is None
    publisher = publisher_client or pubsub_v1.PublisherClient()
    subscriber = subscriber_client or pubsub_v1.SubscriberClient()
    try:
        for topic in all_topics:
            with contextlib.suppress(gexc.AlreadyExists):
                publisher.create_topic(request={"name": f"projects/{project}/topics/{topic}"})
        subscriptions: dict[str, str] = {}
        for topic, url in endpoints.items():
            path = f"projects/{project}/subscriptions/{topic}{subscription_suffix}"
            push_config = {"push_endpoint": url}
            try:
                subscriber.create_subscription(
                    request={
                        "name": path,
                        "topic": f"projects/{project}/topics/{topic}",
                        "push_config": push_config,
                        "ack_deadline_seconds": ack_deadline_s,
                    }
                )
            except gexc.AlreadyExists:
                subscriber.modify_push_config(
                    request={"subscription": path, "push_config": push_config}
                )
            subscriptions[topic] = path
        return subscriptions
    finally:
        if own_subscriber:
            subscriber.close()
        if own_publisher:
            publisher.transport.close()
