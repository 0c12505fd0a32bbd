"""Personal access tokens for scripts and MCP clients: read-only, shown once at creation, stored as
their SHA-256, expiring (at most a year), revocable, their last use recorded.

They are accepted by `Accounts.principal` as a read-only `Principal`; every write route refuses
them (`Writer`), creating another token and changing a password included, so a leaked token can
read, never act.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaultra.db.personal_tokens import PersonalTokenRow
from vaultra.db.unit_of_work import Database
from vaultra.services.auth_tokens import new_secret, secret_hash
from vaultra.services.tenancy import NotFound

PAT_PREFIX = "vlt_pat_"
SHOWN_PREFIX = 12  # `vlt_pat_` and 4 random characters: enough to tell tokens apart in a list
SCOPE = "read"
MAX_DAYS = 365
MAX_NAME = 100
MAX_ACTIVE = 50  # per user: a bound on what one account can accumulate
# Recording every use would write on every read; once a minute tells the owner just as much.
LAST_USE_GAP = timedelta(minutes=1)


class InvalidTokenRequest(ValueError):
    """A name or lifetime the policy refuses; the message says which."""


class TooManyTokens(ValueError):
    pass


@dataclass(frozen=True)
class CreatedToken:
    row: PersonalTokenRow
    token: str  # shown once


def clean_token_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidTokenRequest("the name must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidTokenRequest(f"the name must be at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise InvalidTokenRequest("the name must not contain control characters")
    return name


class PersonalTokens:
    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock

    def create(
        self, user_id: uuid.UUID, name: str, expires_in_days: int, *, ip: str | None = None
    ) -> CreatedToken:
        name = clean_token_name(name)
        if not 1 <= expires_in_days <= MAX_DAYS:
            raise InvalidTokenRequest(f"expires_in_days must be between 1 and {MAX_DAYS}")
        token = new_secret(PAT_PREFIX)
        now = self._clock()
        with self._db.transaction() as uow:
            if uow.personal_tokens.count_active(user_id, now=now) >= MAX_ACTIVE:
                raise TooManyTokens(
                    f"at most {MAX_ACTIVE} tokens may be active at once; revoke one first"
                )
            row = uow.personal_tokens.create(
                user_id,
                name,
                token[:SHOWN_PREFIX],
                secret_hash(token),
                SCOPE,
                now=now,
                expires_at=now + timedelta(days=expires_in_days),
            )
            uow.audit.record(
                "token.created", user_id=user_id, ip=ip, detail={"token_id": str(row.id)}
            )
        return CreatedToken(row, token)

    def of_user(
        self, user_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[PersonalTokenRow]:
        with self._db.snapshot() as uow:
            return uow.personal_tokens.of_user(user_id, after=after, limit=limit)

    def revoke(self, user_id: uuid.UUID, token_id: uuid.UUID, *, ip: str | None = None) -> None:
        """Revoke one of the user's tokens; another user's token is `NotFound`, as an unknown
        one (and so is one already revoked)."""
        with self._db.transaction() as uow:
            if not uow.personal_tokens.revoke(user_id, token_id, now=self._clock()):
                raise NotFound("no such token")
            uow.audit.record(
                "token.revoked", user_id=user_id, ip=ip, detail={"token_id": str(token_id)}
            )
