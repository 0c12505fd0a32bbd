"""Invitations to a business by email (`invitations`), accepted once with a token stored as its
SHA-256. Every statement names the business, so another tenant's invitation id matches nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class InvitationRow:
    id: uuid.UUID
    business_id: uuid.UUID
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


_COLUMNS = "id, business_id, email, role, created_at, expires_at"
_PENDING = "accepted_at IS NULL AND revoked_at IS NULL AND expires_at > :now"
_CREATE = text(
    "INSERT INTO invitations (business_id, email, role, token_hash, invited_by, created_at, "
    f"expires_at) VALUES (:b, :e, :r, :h, :by, :now, :x) RETURNING {_COLUMNS}"
)
# An invitation again to the same address replaces the one before (only the latest link works).
_REVOKE_TO = text(
    "UPDATE invitations SET revoked_at = :now "
    "WHERE business_id = :b AND email = :e AND accepted_at IS NULL AND revoked_at IS NULL"
)
_REVOKE = text(
    "UPDATE invitations SET revoked_at = :now "
    "WHERE id = :i AND business_id = :b AND accepted_at IS NULL AND revoked_at IS NULL "
    "RETURNING id"
)
_COUNT_PENDING = text(f"SELECT count(*) FROM invitations WHERE business_id = :b AND {_PENDING}")
_OF_BUSINESS = text(
    f"""
    SELECT {_COLUMNS} FROM invitations
    WHERE business_id = :b AND {_PENDING}
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (created_at, id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
    ORDER BY created_at, id
    LIMIT :n
    """
)
# Locked: two acceptances of one token must not both join.
_FIND = text(f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = :h AND {_PENDING} FOR UPDATE")
_ACCEPT = text("UPDATE invitations SET accepted_at = :now WHERE id = :i")


class Invitations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(
        self,
        business_id: uuid.UUID,
        email: str,
        role: str,
        token_hash: str,
        *,
        invited_by: uuid.UUID,
        now: datetime,
        expires_at: datetime,
    ) -> InvitationRow:
        self._conn.execute(_REVOKE_TO, {"b": business_id, "e": email, "now": now})
        row = self._conn.execute(
            _CREATE,
            {
                "b": business_id,
                "e": email,
                "r": role,
                "h": token_hash,
                "by": invited_by,
                "now": now,
                "x": expires_at,
            },
        ).one()
        return InvitationRow(*row)

    def count_pending(self, business_id: uuid.UUID, *, now: datetime) -> int:
        return int(self._conn.execute(_COUNT_PENDING, {"b": business_id, "now": now}).scalar_one())

    def pending_of(
        self,
        business_id: uuid.UUID,
        *,
        now: datetime,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[InvitationRow]:
        rows = self._conn.execute(
            _OF_BUSINESS,
            {
                "b": business_id,
                "now": now,
                "after_at": after[0] if after else None,
                "after_id": str(after[1]) if after else None,
                "n": limit,
            },
        ).all()
        return [InvitationRow(*row) for row in rows]

    def revoke(self, business_id: uuid.UUID, invitation_id: uuid.UUID, *, now: datetime) -> bool:
        found = self._conn.execute(
            _REVOKE, {"i": invitation_id, "b": business_id, "now": now}
        ).first()
        return found is not None

    def pending_for_update(self, token_hash: str, *, now: datetime) -> InvitationRow | None:
        row = self._conn.execute(_FIND, {"h": token_hash, "now": now}).one_or_none()
        return InvitationRow(*row) if row else None

    def accept(self, invitation_id: uuid.UUID, *, now: datetime) -> None:
        self._conn.execute(_ACCEPT, {"i": invitation_id, "now": now})
