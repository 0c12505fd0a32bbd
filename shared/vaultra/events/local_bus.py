"""In-process event bus that behaves like Pub/Sub pushing to Cloud Functions (gen2).

Handlers receive the same `cloudevents.http.CloudEvent` that functions-framework passes to a
`@functions_framework.cloud_event` function deployed behind Eventarc, so one handler runs unchanged
locally and in the cloud. Delivery follows Pub/Sub semantics: every subscription gets every
message, at least once; a handler that raises is retried with exponential backoff and, after
`max_attempts`, the delivery goes to `dead_letters` (and a log line that names ids, never the
payload) and, as Pub/Sub's dead-letter policy does, is published to the topic's dead-letter topic
with the `CloudPubSubDeadLetter*` attributes.

`synchronous=True` delivers inline during `publish` (deterministic: tests and the CLI). Otherwise
`workers` threads deliver in the background, several at once as Pub/Sub pushes to several
instances, so one long delivery does not hold every other one; `drain()` waits until nothing is
pending.
"""

from __future__ import annotations

import base64
import copy
import heapq
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudevents.http import CloudEvent

from vaultra.events.cloudevent import MESSAGE_PUBLISHED_TYPE, rfc3339_now, topic_source
from vaultra.events.messages import Message, message_attributes
from vaultra.events.publisher import coalesce
from vaultra.events.topics import dead_letter_topic

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], object]

DEFAULT_PROJECT = "vaultra-local"


@dataclass(frozen=True)
class Subscription:
    name: str  # short name; the full path is projects/<project>/subscriptions/<name>
    topic: str
    handler: Handler


@dataclass
class DeadLetter:
    """A delivery that failed `attempts` times; `event` is the last CloudEvent delivered."""

    topic: str
    subscription: str
    message_id: str
    attempts: int
    error: BaseException
    event: CloudEvent


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    subscription: Subscription = field(compare=False)
    attributes: dict[str, str] = field(compare=False)
    data: dict[str, Any] = field(compare=False)
    attempt: int = field(default=1, compare=False)


class LocalBus:
    def __init__(
        self,
        *,
        project: str = DEFAULT_PROJECT,
        synchronous: bool = True,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.05,
        backoff_multiplier: float = 2.0,
        backoff_max_s: float = 2.0,
        workers: int = 1,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.project = project
        self.synchronous = synchronous
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_multiplier = backoff_multiplier
        self.backoff_max_s = backoff_max_s
        self.dead_letters: list[DeadLetter] = []
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    # --- configuration ----------------------------------------------------------------------

    def subscribe(
        self, topic_name: str, handler: Handler, *, subscription: str | None = None
    ) -> Subscription:
        """Deliver every message published to `topic_name` to `handler` (its own subscription).

        The subscription name defaults to `<topic>-<handler.__name__>`. Subscribing the same handler
        under the same name twice is a no-op; another handler under a taken name is a ValueError
        (pass `subscription=`).
        """
        name = subscription or f"{topic_name}-{getattr(handler, '__name__', 'handler')}"
        sub = Subscription(name=name, topic=topic_name, handler=handler)
        with self._lock:
            subs = self._subscriptions.setdefault(topic_name, [])
            for existing in subs:
                if existing.name == name:
                    if existing.handler != handler:  # bound methods compare equal, not identical
                        raise ValueError(f"subscription {name!r} already exists on {topic_name}")
                    return existing
            subs.append(sub)
        return sub

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subs = self._subscriptions.get(subscription.topic, [])
            if subscription in subs:
                subs.remove(subscription)

    # --- publishing -------------------------------------------------------------------------

    def publish(self, message: Message) -> str:
        """Publish; in synchronous mode every handler has run (or dead-lettered) on return."""
        encoded = base64.b64encode(message.encode()).decode("ascii")
        return self._publish_raw(message.TOPIC, encoded, message_attributes(message))

    def _publish_raw(self, topic: str, encoded: str, msg_attributes: dict[str, str]) -> str:
        message_id = str(secrets.randbelow(9 * 10**15) + 10**15)  # Pub/Sub ids are decimal strings
        publish_time = rfc3339_now()
        ce_attributes = {
            "specversion": "1.0",
            "type": MESSAGE_PUBLISHED_TYPE,
            "source": topic_source(self.project, topic),
            "id": message_id,
            "time": publish_time,
            "datacontenttype": "application/json",
        }
        with self._lock:
            if self._closed:
                raise RuntimeError("the local bus is closed")
            subs = list(self._subscriptions.get(topic, []))
        deliveries = []
        for sub in subs:
            data = {
                "message": {
                    "data": encoded,
                    "messageId": message_id,
                    "message_id": message_id,
                    "publishTime": publish_time,
                    "publish_time": publish_time,
                    "attributes": dict(msg_attributes),
                },
                "subscription": f"projects/{self.project}/subscriptions/{sub.name}",
            }
            deliveries.append(
                _Delivery(
                    due=0.0,
                    seq=next(self._seq),
                    subscription=sub,
                    attributes=ce_attributes,
                    data=data,
                )
            )
        if self.synchronous:
            for delivery in deliveries:
                self._deliver_inline(delivery)
        else:
            self._enqueue(deliveries)
        return message_id

    def publish_many(self, messages: Iterable[Message]) -> list[str]:
        return [self.publish(message) for message in coalesce(messages)]

    # --- delivery ---------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_initial_s * self.backoff_multiplier ** (attempt - 1)
        return float(min(delay, self.backoff_max_s))

    def _attempt(self, delivery: _Delivery) -> tuple[CloudEvent, BaseException | None]:
        # A fresh event per attempt: a handler that mutates its event cannot affect the retry.
        event = CloudEvent(dict(delivery.attributes), copy.deepcopy(delivery.data))
        try:
            delivery.subscription.handler(event)
        except Exception as exc:
            return event, exc
        return event, None

    def _failed(self, delivery: _Delivery, event: CloudEvent, error: BaseException) -> bool:
        """Record a failure; True when the delivery should be retried."""
        sub = delivery.subscription
        if delivery.attempt < self.max_attempts:
            log.info(
                "local bus: handler failed, retrying (subscription=%s message_id=%s attempt=%d/%d"
                " error=%s)",
                sub.name,
                event["id"],
                delivery.attempt,
                self.max_attempts,
                type(error).__name__,
            )
            return True
        log.error(
            "local bus: dead-lettered after %d attempts (subscription=%s topic=%s message_id=%s"
            " error=%s)",
            delivery.attempt,
            sub.name,
            sub.topic,
            event["id"],
            type(error).__name__,
        )
        dead = DeadLetter(
            topic=sub.topic,
            subscription=sub.name,
            message_id=event["id"],
            attempts=delivery.attempt,
            error=error,
            event=event,
        )
        with self._lock:
            self.dead_letters.append(dead)
            forward = bool(self._subscriptions.get(dead_letter_topic(sub.topic)))
        if forward:
            self._forward_dead_letter(delivery)
        return False

    def _forward_dead_letter(self, delivery: _Delivery) -> None:
        """Publish the message as it was to the dead-letter topic, as Pub/Sub does."""
        message = delivery.data["message"]
        attributes = {
            **message.get("attributes", {}),
            "CloudPubSubDeadLetterSourceDeliveryCount": str(delivery.attempt),
            "CloudPubSubDeadLetterSourceSubscription": delivery.subscription.name,
            "CloudPubSubDeadLetterSourceSubscriptionProject": self.project,
            "CloudPubSubDeadLetterSourceTopicPublishTime": message.get("publishTime", ""),
        }
        self._publish_raw(
            dead_letter_topic(delivery.subscription.topic), message["data"], attributes
        )

    def _deliver_inline(self, delivery: _Delivery) -> None:
        while True:
            event, error = self._attempt(delivery)
            if error is None or not self._failed(delivery, event, error):
                return
            time.sleep(self._backoff(delivery.attempt))
            delivery.attempt += 1

    def _enqueue(self, deliveries: list[_Delivery]) -> None:
        with self._cond:
            if not self._threads:
                self._threads = [
                    threading.Thread(
                        target=self._run_worker, name=f"vaultra-local-bus-{n}", daemon=True
                    )
                    for n in range(self.workers)
                ]
                for thread in self._threads:
                    thread.start()
            now = time.monotonic()
            for delivery in deliveries:
                delivery.due = now
                heapq.heappush(self._queue, delivery)
            self._cond.notify_all()

    def _run_worker(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    if self._queue:
                        wait = self._queue[0].due - time.monotonic()
                        if wait <= 0:
                            delivery = heapq.heappop(self._queue)
                            self._in_flight += 1
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
            try:
                event, error = self._attempt(delivery)
                if error is not None and self._failed(delivery, event, error):
                    delivery.due = time.monotonic() + self._backoff(delivery.attempt)
                    delivery.attempt += 1
                    with self._cond:
                        heapq.heappush(self._queue, delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def check(self) -> None:
        """Raise unless the bus accepts messages (readiness)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the local bus is closed")
            if any(not thread.is_alive() for thread in self._threads):
                raise RuntimeError("a delivery thread of the local bus has stopped")

    def pending(self) -> int:
        """Deliveries queued or running (background mode)."""
        with self._lock:
            return len(self._queue) + self._in_flight

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued delivery (retries included) is done; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                if not any(thread.is_alive() for thread in self._threads):
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float | None = 5.0) -> bool:
        """Drain (up to `timeout`), then stop the worker; later publishes raise. True if drained."""
        drained = self.drain(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        return drained


_default_bus: LocalBus | None = None
_default_lock = threading.Lock()


def get_local_bus() -> LocalBus:
    """The process-wide bus (synchronous), created on first use."""
    global _default_bus
    with _default_lock:
        if _default_bus is None:
            _default_bus = LocalBus()
        return _default_bus


def use_local_bus(bus: LocalBus) -> LocalBus:
    """Make `bus` the process-wide bus (`vaultra serve` installs an asynchronous one, so a webhook
    answers before the work it triggers runs)."""
    global _default_bus
    with _default_lock:
        previous, _default_bus = _default_bus, bus
    if previous is not None and previous is not bus:
        previous.close(timeout=0)
    return bus


def reset_local_bus() -> None:
    """Forget the process-wide bus (tests): the next `get_local_bus()` creates a fresh one."""
    global _default_bus
    with _default_lock:
        bus, _default_bus = _default_bus, None
    if bus is not None:
        bus.close(timeout=0)
