"""Single-use, expiring tokens mailed to a user (`user_tokens`): `password_reset` and
`email_verification`. Only their SHA-256 is stored.

Taking a token is one statement that checks purpose, expiry and prior use and marks it used, so
two concurrent uses cannot both succeed; inside a transaction that fails afterwards, the token is
not used up.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, text

# A new token of a purpose supersedes the user's earlier ones: only the latest mail works.
_SUPERSEDE = text(
    "UPDATE user_tokens SET used_at = :now WHERE user_id = :u AND purpose = :p AND used_at IS NULL"
)
_ISSUE = text(
    "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) "
    "VALUES (:u, :p, :h, :now, :x)"
)
_TAKE = text(
    "UPDATE user_tokens SET used_at = :now "
    "WHERE token_hash = :h AND purpose = :p AND used_at IS NULL AND expires_at > :now "
    "RETURNING user_id"
)


class UserTokens:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def issue(
        self,
        user_id: uuid.UUID,
        purpose: str,
        token_hash: str,
        *,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._conn.execute(_SUPERSEDE, {"u": user_id, "p": purpose, "now": now})
        self._conn.execute(
            _ISSUE, {"u": user_id, "p": purpose, "h": token_hash, "now": now, "x": expires_at}
        )

    def take(self, token_hash: str, purpose: str, *, now: datetime) -> uuid.UUID | None:
        """The token's user, the token now used; None if unknown, of another purpose, used or
        expired (which of these is never said)."""
        user_id = self._conn.execute(_TAKE, {"h": token_hash, "p": purpose, "now": now}).scalar()
        return user_id if isinstance(user_id, uuid.UUID) else None
