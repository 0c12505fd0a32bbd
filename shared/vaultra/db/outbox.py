"""Mail kept locally (`mail_outbox`): locally the outbox and the log are the delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class OutboxRow:
    to_address: str
    subject: str
    body: str
    created_at: datetime


_ADD = text(
    "INSERT INTO mail_outbox (to_address, subject, body, sent_at) VALUES (:to, :s, :b, :at)"
)
_TO = text(
    "SELECT to_address, subject, body, created_at FROM mail_outbox WHERE to_address = :to "
    "ORDER BY created_at DESC, id DESC LIMIT :n"
)


class Outbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, to_address: str, subject: str, body: str, *, sent_at: datetime | None) -> None:
        self._conn.execute(_ADD, {"to": to_address, "s": subject, "b": body, "at": sent_at})

    def to(self, address: str, limit: int = 20) -> list[OutboxRow]:
        """The latest mail to an address, newest first (a local developer's inbox)."""
        rows = self._conn.execute(_TO, {"to": address, "n": limit}).all()
        return [OutboxRow(*row) for row in rows]
