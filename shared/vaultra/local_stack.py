"""`vaultra serve`'s runtime: the cloud's topology in one process.

An asynchronous local bus carries the same CloudEvents to the same function handlers as Pub/Sub
does in the cloud (`vaultra.entrypoints`), each subscribed to the topics that trigger it, dead-letter
topics included; a timer stands in for Cloud Scheduler's reconciliation job. Retries back off as
Pub/Sub's retry policy does, in seconds rather than milliseconds, so a message that finds its
business busy is not dead-lettered in the time a computation takes; four deliveries run at once,
as Pub/Sub pushes to several instances.
"""

from __future__ import annotations

import logging
import threading

from vaultra.bootstrap import Runtime, use_runtime
from vaultra.config import Settings
from vaultra.entrypoints import cloud_event_handler, dead_letter_handler
from vaultra.events.local_bus import LocalBus, Subscription, use_local_bus
from vaultra.events.messages import ReconcileTick
from vaultra.events.topics import TOPICS, dead_letter_topic
from vaultra.handlers import DEAD_LETTERS, FUNCTIONS

log = logging.getLogger(__name__)


def subscribe_functions(bus: LocalBus) -> list[Subscription]:
    """Subscribe every Pub/Sub-triggered function to its topics, as Terraform does in the cloud,
    and the dead-letter function to every topic's dead-letter topic."""
    subscriptions = []
    for name, function in FUNCTIONS.items():
        handler = cloud_event_handler(name)
        for topic in dict.fromkeys(m.TOPIC for m in function.messages):
            subscriptions.append(bus.subscribe(topic, handler, subscription=f"{topic}-{name}"))
    letters = dead_letter_handler()
    for topic in TOPICS.values():
        dead = dead_letter_topic(topic)
        subscriptions.append(bus.subscribe(dead, letters, subscription=f"{dead}-{DEAD_LETTERS}"))
    return subscriptions


class LocalStack:
    """Start with `start()`, stop with `stop()` (or use as a context manager)."""

    def __init__(self, settings: Settings, *, tick_s: float | None = None) -> None:
        self.bus = use_local_bus(
            LocalBus(synchronous=False, backoff_initial_s=1.0, backoff_max_s=10.0, workers=4)
        )
        self.runtime = use_runtime(Runtime(settings, publisher=self.bus))
        self.subscriptions = subscribe_functions(self.bus)
        self._tick_s = tick_s if tick_s is not None else settings.reconcile_interval_s
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="vaultra-scheduler", daemon=True)

    def start(self) -> LocalStack:
        self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.bus.publish(ReconcileTick())
            except RuntimeError:  # the bus closed under us: we are stopping
                return

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join(timeout)
        self.bus.close(timeout)
        self.runtime.close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
