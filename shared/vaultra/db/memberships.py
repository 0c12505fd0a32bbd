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


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    role: str
    since: datetime


_MEMBERS = text(
    """
    SELECT u.id, u.email, m.role, m.created_at
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.business_id = :b
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (m.created_at, u.id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
      AND (CAST(:only AS uuid) IS NULL OR u.id = CAST(:only AS uuid))
    ORDER BY m.created_at, u.id
    LIMIT :n
    """
)
_IS_MEMBER_BY_EMAIL = text(
    "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id "
    "WHERE m.business_id = :b AND u.email = :e"
)
# Changes of who owns a business are serialized on the business's row, so that two owners
# demoting each other at once cannot leave it without one.
_LOCK_BUSINESS = text("SELECT 1 FROM businesses WHERE id = :b FOR UPDATE")
_OWNERS = text("SELECT count(*) FROM memberships WHERE business_id = :b AND role = 'owner'")
_OWNER_EMAILS = text(
    "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id "
    "WHERE m.business_id = :b AND m.role = 'owner' ORDER BY u.email"
)
_JOIN = text(
    "INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, :r) "
    "ON CONFLICT (business_id, user_id) DO NOTHING"
)
_SET_ROLE = text("UPDATE memberships SET role = :r WHERE business_id = :b AND user_id = :u")
_REMOVE = text("DELETE FROM memberships WHERE business_id = :b AND user_id = :u")


class Members:
    """The members of one business, as its members and owners see and manage them."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def of_business(
        self,
        business_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
        only: uuid.UUID | None = None,
    ) -> list[Member]:
        """Members, earliest first, after a (since, user_id) cursor."""
        rows = self._conn.execute(
            _MEMBERS,
            {
                "b": business_id,
                "after_at": after[0] if after else None,
                "after_id": str(after[1]) if after else None,
                "only": str(only) if only else None,
                "n": limit,
            },
        ).all()
        return [Member(*row) for row in rows]

    def has_email(self, business_id: uuid.UUID, email: str) -> bool:
        return (
            self._conn.execute(_IS_MEMBER_BY_EMAIL, {"b": business_id, "e": email}).first()
            is not None
        )

    def lock_business(self, business_id: uuid.UUID) -> None:
        self._conn.execute(_LOCK_BUSINESS, {"b": business_id})

    def owner_emails(self, business_id: uuid.UUID) -> list[str]:
        return list(self._conn.execute(_OWNER_EMAILS, {"b": business_id}).scalars())

    def owner_count(self, business_id: uuid.UUID) -> int:
        return int(self._conn.execute(_OWNERS, {"b": business_id}).scalar_one())

    def join(self, business_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
        """Add a member; False (and no change of role) if they already are one."""
        result = self._conn.execute(_JOIN, {"b": business_id, "u": user_id, "r": role})
        return bool(result.rowcount)

    def set_role(self, business_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
        self._conn.execute(_SET_ROLE, {"b": business_id, "u": user_id, "r": role})

    def remove(self, business_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self._conn.execute(_REMOVE, {"b": business_id, "u": user_id})
