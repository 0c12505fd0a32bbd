"""A local bus that also keeps what was published, for tests that check what a service asked for."""

from __future__ import annotations

from vaultra.events.local_bus import LocalBus
from vaultra.events.messages import Message


class Recorder(LocalBus):
    """A bus that keeps what was published (and delivers to nobody)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Message] = []

    def publish(self, message: Message) -> str:
        self.sent.append(message)
        return super().publish(message)
