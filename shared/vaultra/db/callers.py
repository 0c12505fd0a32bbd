"""Who a bearer token names, and their role in a business, in one statement.

Every authenticated request reads what `vaultra.services.accounts` decides a token's validity from
(the user's last password change, or the personal access token's row) and, for a route under a
business, the caller's membership of it. Read apart, that was two transactions per request; here it
is one indexed statement (users' or personal_access_tokens' key, memberships' key), prepared once
per pooled connection (`vaultra.db.prepared`). No row means no such user, or no active token; a
row with no role means not a member of that business (or no business asked about).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from vaultra.db.prepared import run_prepared


@dataclass(frozen=True)
class CallerRow:
    user_id: uuid.UUID
    password_changed_at: datetime | None  # an access token's user
    token_id: uuid.UUID | None  # a personal access token's row…
    token_last_used_at: datetime | None  # …and its last recorded use
    role: str | None  # in the business asked about


_BY_USER = """
    SELECT u.id, u.password_changed_at, NULL::uuid, NULL::timestamptz, m.role
    FROM users u
    LEFT JOIN memberships m ON m.user_id = u.id AND m.business_id = CAST(:b AS uuid)
    WHERE u.id = CAST(:u AS uuid)
"""
_BY_TOKEN = """
    SELECT t.user_id, NULL::timestamptz, t.id, t.last_used_at, m.role
    FROM personal_access_tokens t
    LEFT JOIN memberships m ON m.user_id = t.user_id AND m.business_id = CAST(:b AS uuid)
    WHERE t.token_hash = :h AND t.revoked_at IS NULL AND t.expires_at > CAST(:now AS timestamptz)
"""


class Callers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def by_user(self, user_id: uuid.UUID, business_id: uuid.UUID | None) -> CallerRow | None:
        """The user (None if there is none), with their role in `business_id`."""
        rows = run_prepared(self._conn, _BY_USER, u=str(user_id), b=_id(business_id))
        return CallerRow(*rows[0]) if rows else None

    def by_token(
        self, token_hash: str, business_id: uuid.UUID | None, *, now: datetime
    ) -> CallerRow | None:
        """The personal access token if it is active at `now` (None otherwise), with its user's
        role in `business_id`."""
        rows = run_prepared(self._conn, _BY_TOKEN, h=token_hash, b=_id(business_id), now=now)
        return CallerRow(*rows[0]) if rows else None


def _id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None
