"""Who belongs to which business (`memberships`), and the businesses a person can reach.

Every object is reached through a business the caller is a member of: `role_of` is the check, and
it answers None — "no such business" — for a business that exists but is another tenant's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class MemberBusiness:
    id: uuid.UUID
    name: str
    role: str
    created_at: datetime
    stripe_account: str | None
    livemode: bool | None


_ADD = text(
    "INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, :r) "
    "ON CONFLICT (business_id, user_id) DO UPDATE SET role = EXCLUDED.role"
)
_ROLE = text("SELECT role FROM memberships WHERE business_id = :b AND user_id = :u")
_BUSINESSES = text(
    """
    SELECT b.id, b.name, m.role, b.created_at, c.account_id, c.livemode
    FROM memberships m
    JOIN businesses b ON b.id = m.business_id
    LEFT JOIN stripe_connections c ON c.business_id = b.id AND c.deauthorized_at IS NULL
    WHERE m.user_id = :u
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (b.created_at, b.id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
      AND (CAST(:only AS uuid) IS NULL OR b.id = CAST(:only AS uuid))
    ORDER BY b.created_at, b.id
    LIMIT :n
    """
)


class Memberships:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, business_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
        self._conn.execute(_ADD, {"b": business_id, "u": user_id, "r": role})

    def role_of(self, business_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        role = self._conn.execute(_ROLE, {"b": business_id, "u": user_id}).scalar()
        return str(role) if role is not None else None

    def businesses_of(
        self,
        user_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
        only: uuid.UUID | None = None,
    ) -> list[MemberBusiness]:
        """The user's businesses, oldest first, after a (created_at, id) cursor."""
        rows = self._conn.execute(
            _BUSINESSES,
            {
                "u": user_id,
                "after_at": after[0] if after else None,
                "after_id": str(after[1]) if after else None,
                "only": str(only) if only else None,
                "n": limit,
            },
        ).all()
        return [MemberBusiness(*row) for row in rows]
