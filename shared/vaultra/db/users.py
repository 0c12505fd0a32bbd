"""People and their sessions (`users`, `refresh_tokens`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from vaultra.db import locks
from vaultra.db.locks import Locks


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    password_hash: str | None
    created_at: datetime
    email_verified_at: datetime | None
    # Access tokens issued before it are refused (a password change ends every other session).
    password_changed_at: datetime | None = None


_COLUMNS = "id, email, password_hash, created_at, email_verified_at, password_changed_at"
_CREATE = text(f"INSERT INTO users (email, password_hash) VALUES (:e, :h) RETURNING {_COLUMNS}")
_BY_EMAIL = text(f"SELECT {_COLUMNS} FROM users WHERE email = :e")
_BY_ID = text(f"SELECT {_COLUMNS} FROM users WHERE id = :u")
# A rehash (stronger parameters, same password) is not a change of password.
_SET_PASSWORD = text("UPDATE users SET password_hash = :h WHERE id = :u")
_CHANGE_PASSWORD = text(
    "UPDATE users SET password_hash = :h, password_changed_at = :at WHERE id = :u"
)
_MARK_VERIFIED = text(
    "UPDATE users SET email_verified_at = :at WHERE id = :u AND email_verified_at IS NULL"
)


class Users:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(self, email: str, password_hash: str) -> UserRow | None:
        """The new user; None when the address is taken (its unique index decides, race-free)."""
        try:
            with self._conn.begin_nested():
                row = self._conn.execute(_CREATE, {"e": email, "h": password_hash}).one()
        except IntegrityError:
            return None
        return UserRow(*row)

    def by_email(self, email: str) -> UserRow | None:
        row = self._conn.execute(_BY_EMAIL, {"e": email}).one_or_none()
        return UserRow(*row) if row else None

    def by_id(self, user_id: uuid.UUID) -> UserRow | None:
        row = self._conn.execute(_BY_ID, {"u": user_id}).one_or_none()
        return UserRow(*row) if row else None

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        self._conn.execute(_SET_PASSWORD, {"u": user_id, "h": password_hash})

    def change_password(self, user_id: uuid.UUID, password_hash: str, *, at: datetime) -> None:
        self._conn.execute(_CHANGE_PASSWORD, {"u": user_id, "h": password_hash, "at": at})

    def mark_verified(self, user_id: uuid.UUID, *, at: datetime) -> None:
        self._conn.execute(_MARK_VERIFIED, {"u": user_id, "at": at})


@dataclass(frozen=True)
class RefreshTokenRow:
    id: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


_ISSUE = text(
    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) "
    "VALUES (:u, :f, :h, :x)"
)
_FAMILY = text("SELECT family_id FROM refresh_tokens WHERE token_hash = :h")
# Locked: two concurrent uses of one token must not both rotate it.
_FIND = text(
    "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens "
    "WHERE token_hash = :h FOR UPDATE"
)
_MARK_USED = text("UPDATE refresh_tokens SET used_at = :at WHERE id = :i")
_OTHER_USED_SINCE = text(
    "SELECT EXISTS (SELECT 1 FROM refresh_tokens "
    "WHERE family_id = :f AND used_at >= :at AND id <> :i)"
)
_HAS_UNUSED = text(
    "SELECT EXISTS (SELECT 1 FROM refresh_tokens "
    "WHERE family_id = :f AND used_at IS NULL AND revoked_at IS NULL)"
)
_REVOKE_UNUSED = text(
    "UPDATE refresh_tokens SET revoked_at = now() "
    "WHERE family_id = :f AND used_at IS NULL AND revoked_at IS NULL"
)
_REVOKE_FAMILY = text(
    "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = :f AND revoked_at IS NULL"
)
_REVOKE_USER = text(
    "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"
)


class RefreshTokens:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def issue(
        self, user_id: uuid.UUID, family_id: uuid.UUID, token_hash: str, expires_at: datetime
    ) -> None:
        self._conn.execute(_ISSUE, {"u": user_id, "f": family_id, "h": token_hash, "x": expires_at})

    def find_for_update(self, token_hash: str) -> RefreshTokenRow | None:
        row = self._conn.execute(_FIND, {"h": token_hash}).one_or_none()
        return RefreshTokenRow(*row) if row else None

    def find_holding_family(self, token_hash: str) -> RefreshTokenRow | None:
        """The token, read once every other rotation of its family has committed: a retry reads
        and revokes the family's other tokens, which a row lock on its own would not guard. The
        family's lock is taken before any row's, so two rotations cannot deadlock."""
        family = self._conn.execute(_FAMILY, {"h": token_hash}).scalar_one_or_none()
        if family is None:
            return None
        Locks(self._conn).hold_for_transaction(locks.SESSION_FAMILY, family)
        return self.find_for_update(token_hash)

    def mark_used(self, token_id: uuid.UUID, *, at: datetime) -> None:
        self._conn.execute(_MARK_USED, {"i": token_id, "at": at})

    def moved_on(self, token: RefreshTokenRow) -> bool:
        """Whether another token of the family was used since this one was: its successor."""
        assert token.used_at is not None
        found = self._conn.execute(
            _OTHER_USED_SINCE, {"f": token.family_id, "at": token.used_at, "i": token.id}
        )
        return bool(found.scalar_one())

    def has_unused(self, family_id: uuid.UUID) -> bool:
        """Whether the family still has a token to use: its session goes on."""
        return bool(self._conn.execute(_HAS_UNUSED, {"f": family_id}).scalar_one())

    def revoke_unused(self, family_id: uuid.UUID) -> None:
        """Revoke the family's tokens never used: a successor whose answer was lost."""
        self._conn.execute(_REVOKE_UNUSED, {"f": family_id})

    def revoke_family(self, family_id: uuid.UUID) -> None:
        self._conn.execute(_REVOKE_FAMILY, {"f": family_id})

    def revoke_all_of(self, user_id: uuid.UUID) -> None:
        self._conn.execute(_REVOKE_USER, {"u": user_id})
