"""Personal access tokens (`personal_access_tokens`): read-only tokens for scripts and MCP
clients, stored as their SHA-256, listed by a prefix that identifies them without revealing them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class PersonalTokenRow:
    id: uuid.UUID
    name: str
    prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


_COLUMNS = "id, name, prefix, scope, created_at, expires_at, last_used_at"
_CREATE = text(
    "INSERT INTO personal_access_tokens "
    "(user_id, name, prefix, token_hash, scope, created_at, expires_at) "
    f"VALUES (:u, :n, :p, :h, :s, :now, :x) RETURNING {_COLUMNS}"
)
_OF_USER = text(
    f"""
    SELECT {_COLUMNS} FROM personal_access_tokens
    WHERE user_id = :u AND revoked_at IS NULL
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (created_at, id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
    ORDER BY created_at, id
    LIMIT :n
    """
)
_COUNT_ACTIVE = text(
    "SELECT count(*) FROM personal_access_tokens "
    "WHERE user_id = :u AND revoked_at IS NULL AND expires_at > :now"
)
# The user's own token only: another user's id matches nothing, exactly as an unknown one.
_REVOKE = text(
    "UPDATE personal_access_tokens SET revoked_at = :now "
    "WHERE id = :i AND user_id = :u AND revoked_at IS NULL RETURNING id"
)
_REVOKE_ALL = text(
    "UPDATE personal_access_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL"
)
# At most one write per token per `gap`: the condition is re-checked by the statement itself, so
# concurrent requests with one token write once.
_TOUCH = text(
    "UPDATE personal_access_tokens SET last_used_at = :now "
    "WHERE id = :i AND (last_used_at IS NULL OR last_used_at <= :before)"
)


class PersonalTokens:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(
        self,
        user_id: uuid.UUID,
        name: str,
        prefix: str,
        token_hash: str,
        scope: str,
        *,
        now: datetime,
        expires_at: datetime,
    ) -> PersonalTokenRow:
        row = self._conn.execute(
            _CREATE,
            {
                "u": user_id,
                "n": name,
                "p": prefix,
                "h": token_hash,
                "s": scope,
                "now": now,
                "x": expires_at,
            },
        ).one()
        return PersonalTokenRow(*row)

    def of_user(
        self, user_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[PersonalTokenRow]:
        """The user's tokens not revoked (expired ones included: their owner sees they ended),
        oldest first, after a (created_at, id) cursor."""
        rows = self._conn.execute(
            _OF_USER,
            {
                "u": user_id,
                "after_at": after[0] if after else None,
                "after_id": str(after[1]) if after else None,
                "n": limit,
            },
        ).all()
        return [PersonalTokenRow(*row) for row in rows]

    def count_active(self, user_id: uuid.UUID, *, now: datetime) -> int:
        return int(self._conn.execute(_COUNT_ACTIVE, {"u": user_id, "now": now}).scalar_one())

    def revoke(self, user_id: uuid.UUID, token_id: uuid.UUID, *, now: datetime) -> bool:
        found = self._conn.execute(_REVOKE, {"i": token_id, "u": user_id, "now": now}).first()
        return found is not None

    def revoke_all_of(self, user_id: uuid.UUID, *, now: datetime) -> None:
        self._conn.execute(_REVOKE_ALL, {"u": user_id, "now": now})

    def touch(self, token_id: uuid.UUID, *, now: datetime, gap: timedelta) -> None:
        self._conn.execute(_TOUCH, {"i": token_id, "now": now, "before": now - gap})
