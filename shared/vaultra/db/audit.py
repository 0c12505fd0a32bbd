"""The audit log (`audit_log`): sensitive actions, by whom, on what, from where. Never a secret,
never a payload: `detail` holds ids and names."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

_RECORD = text(
    "INSERT INTO audit_log (user_id, business_id, action, ip, detail) "
    "VALUES (:u, :b, :a, :ip, CAST(:d AS jsonb))"
)
_OF_USER = text(
    "SELECT at, action, business_id, ip, detail FROM audit_log WHERE user_id = :u "
    "ORDER BY at DESC, id DESC LIMIT :n"
)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    business_id: uuid.UUID | None
    ip: str | None
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(
        self,
        action: str,
        *,
        user_id: uuid.UUID | None,
        business_id: uuid.UUID | None = None,
        ip: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._conn.execute(
            _RECORD,
            {
                "u": user_id,
                "b": business_id,
                "a": action,
                "ip": ip[:64] if ip else None,
                "d": json.dumps(detail or {}),
            },
        )

    def of_user(self, user_id: uuid.UUID, limit: int = 100) -> list[AuditEntry]:
        rows = self._conn.execute(_OF_USER, {"u": user_id, "n": limit}).all()
        return [AuditEntry(*row) for row in rows]
