"""Stripe Connect authorizations in flight (`oauth_states`): each `state` stored as its hash, bound
to the user and the business that asked, expiring, used once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

_CREATE = text(
    "INSERT INTO oauth_states (state_hash, user_id, business_id, livemode, expires_at) "
    "VALUES (:h, :u, :b, :m, :x)"
)
# Locked: two callbacks racing with one state must not both use it.
_FIND = text(
    "SELECT user_id, business_id, livemode, created_at, expires_at, used_at FROM oauth_states "
    "WHERE state_hash = :h FOR UPDATE"
)
_MARK_USED = text("UPDATE oauth_states SET used_at = now() WHERE state_hash = :h")
_PURGE = text("DELETE FROM oauth_states WHERE expires_at < :before")


@dataclass(frozen=True)
class OAuthStateRow:
    user_id: uuid.UUID
    business_id: uuid.UUID
    livemode: bool
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class OAuthStates:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(
        self,
        state_hash: str,
        *,
        user_id: uuid.UUID,
        business_id: uuid.UUID,
        livemode: bool,
        expires_at: datetime,
    ) -> None:
        self._conn.execute(
            _CREATE,
            {"h": state_hash, "u": user_id, "b": business_id, "m": livemode, "x": expires_at},
        )

    def find_for_update(self, state_hash: str) -> OAuthStateRow | None:
        row = self._conn.execute(_FIND, {"h": state_hash}).one_or_none()
        return OAuthStateRow(*row) if row else None

    def mark_used(self, state_hash: str) -> None:
        self._conn.execute(_MARK_USED, {"h": state_hash})

    def purge_expired(self, before: datetime) -> int:
        """Forget states that expired before `before`; returns how many."""
        return int(self._conn.execute(_PURGE, {"before": before}).rowcount)
