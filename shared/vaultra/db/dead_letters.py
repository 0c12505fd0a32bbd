"""Dead letters (`dead_letters`): messages Pub/Sub stopped retrying, kept once per message id."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, text

_RECORD = text(
    "INSERT INTO dead_letters (message_id, message_type, source_subscription, "
    "delivery_attempts, business_id, data, error) "
    "VALUES (:id, :type, :subscription, :attempts, :b, CAST(:data AS jsonb), :error) "
    "ON CONFLICT (message_id) DO NOTHING RETURNING id"
)
_COUNT = text(
    "SELECT count(*) FROM dead_letters WHERE received_at > now() - make_interval(secs => :s)"
)


class DeadLetters:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(
        self,
        message_id: str,
        *,
        message_type: str | None,
        source_subscription: str | None,
        delivery_attempts: int | None,
        business_id: uuid.UUID | None,
        data: dict[str, Any] | None,
        error: str | None,
    ) -> bool:
        """Keep the dead letter; False when this message id was recorded before."""
        row = self._conn.execute(
            _RECORD,
            {
                "id": message_id,
                "type": message_type,
                "subscription": source_subscription,
                "attempts": delivery_attempts,
                "b": business_id,
                "data": json.dumps(data) if data is not None else None,
                "error": error,
            },
        ).first()
        return row is not None

    def recent(self, seconds: float) -> int:
        """How many dead letters arrived in the last `seconds` (health and monitoring)."""
        return int(self._conn.execute(_COUNT, {"s": seconds}).scalar_one())
