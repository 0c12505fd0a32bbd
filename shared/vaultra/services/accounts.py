"""Accounts and sessions: sign-up, sign-in, refresh, sign-out, and who a bearer token is.

A session is a short-lived access token (a JWT the API checks without the database) and a refresh
token (opaque, stored hashed) that is rotated at each use. A refresh token used twice means it was
copied: its whole family — every token descended from the same sign-in — is revoked at once (reuse
detection, as OAuth 2.0 Security BCP §4.14 recommends). Signing out revokes the family. A retry
by the browser that lost the answer to a rotation is forgiven for a few seconds (`RETRY_GRACE`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaultra.db.callers import CallerRow
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.db.users import RefreshTokenRow, UserRow
from vaultra.services import passwords
from vaultra.services.auth_tokens import (
    AccessClaims,
    AccessTokens,
    InvalidToken,
    new_secret,
    secret_hash,
)
from vaultra.services.personal_tokens import LAST_USE_GAP, PAT_PREFIX

REFRESH_PREFIX = "vlt_rt_"
# How long a rotated refresh token may be presented again before its successor is used. Short:
# it only covers a retry by the browser that lost the answer. Connect2id allows 5 s, Cognito up
# to 60 s, Okta 30 s by default; a page that navigates mid-renewal retries within seconds.
RETRY_GRACE = timedelta(seconds=30)
# Deliberately simple: one @, a dot in the domain, no spaces; the mail itself is the real check.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 320


class EmailTaken(ValueError):
    """An account with this address exists."""


class InvalidEmail(ValueError):
    """The address does not look like one."""


class InvalidCredentials(Exception):
    """Wrong address or password — which of the two is never said."""


class InvalidRefreshToken(Exception):
    """Unknown, expired, revoked, or reused (then its whole family is revoked)."""


class WrongPassword(Exception):
    """The current password, asked again before changing it, is wrong."""


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True)
class Bearer:
    """A bearer token as read without the database (`Accounts.read_bearer`): an access token's
    verified claims, or a personal access token's hash. Not yet a principal: whether its user
    still accepts it is the database's to say (`Accounts.admit`)."""

    claims: AccessClaims | None
    token_hash: str | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, through an access token (full rights) or a personal access
    token (read only)."""

    user_id: uuid.UUID
    via: str  # "access" | "pat"

    @property
    def can_write(self) -> bool:
        return self.via == "access"


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidEmail("the email address is not valid")
    return email


class Accounts:
    def __init__(
        self,
        db: Database,
        access_tokens: AccessTokens,
        *,
        refresh_ttl_s: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._access = access_tokens
        self._refresh_ttl = timedelta(seconds=refresh_ttl_s)
        self._clock = clock

    def sign_up(self, email: str, password: str, *, ip: str | None = None) -> UserRow:
        """A new account; signing in works at once (verification gates only what it must)."""
        email = normalize_email(email)
        passwords.check_policy(password, email)
        hashed = passwords.hash_password(password)
        with self._db.transaction() as uow:
            user = uow.users.create(email, hashed)
            if user is not None:
                uow.audit.record("account.created", user_id=user.id, ip=ip)
        if user is None:
            raise EmailTaken("an account with this email address exists")
        return user

    def sign_in(self, email: str, password: str, *, ip: str | None = None) -> Session:
        try:
            email = normalize_email(email)
        except InvalidEmail:
            passwords.verify_password(None, password)  # the same time as a wrong password
            raise InvalidCredentials from None
        with self._db.transaction() as uow:
            user = uow.users.by_email(email)
            hashed = user.password_hash if user else None
            if user is None or not passwords.verify_password(hashed, password):
                raise InvalidCredentials
            if hashed and passwords.needs_rehash(hashed):
                uow.users.set_password_hash(user.id, passwords.hash_password(password))
            uow.audit.record("login", user_id=user.id, ip=ip)
            return self._start(uow, user.id, uuid.uuid4())

    def refresh(self, refresh_token: str) -> Session:
        """A new session for a valid refresh token, which is used up; a reused one revokes its
        family and fails.

        One retry is forgiven: the token used last in its family, presented again within
        `RETRY_GRACE` while its successor was never used, is the same browser that lost the
        answer (a navigation cancelled the request, two tabs renewed at once). Its unused
        successor is revoked and a new one issued, so one token of the family stays live; the
        revoked successor, if it turns up later, is reuse like any other."""
        now = self._clock()
        with self._db.transaction() as uow:
            tokens = uow.refresh_tokens
            found = tokens.find_holding_family(secret_hash(refresh_token))
            if found is None:
                raise InvalidRefreshToken
            if found.used_at is None and found.revoked_at is None:
                if found.expires_at <= now:
                    raise InvalidRefreshToken
                tokens.mark_used(found.id, at=now)
                return self._start(uow, found.user_id, found.family_id)
            if self._is_retry(uow, found, now) and found.expires_at > now:
                tokens.revoke_unused(found.family_id)  # the successor whose answer was lost
                return self._start(uow, found.user_id, found.family_id)
            # Used or superseded while its session goes on: a copy is being played back.
            if tokens.has_unused(found.family_id):
                tokens.revoke_family(found.family_id)
                uow.audit.record(
                    "session.reuse_detected", user_id=found.user_id, detail={"revoked": "family"}
                )
        raise InvalidRefreshToken  # after the commit above: the family stays revoked

    @staticmethod
    def _is_retry(uow: UnitOfWork, found: RefreshTokenRow, now: datetime) -> bool:
        return (
            found.revoked_at is None
            and found.used_at is not None
            and found.used_at > now - RETRY_GRACE
            and not uow.refresh_tokens.moved_on(found)
        )

    def sign_out(self, refresh_token: str, *, ip: str | None = None) -> None:
        """Revoke the session's family; an unknown token is not an error (signing out twice)."""
        with self._db.transaction() as uow:
            found = uow.refresh_tokens.find_for_update(secret_hash(refresh_token))
            if found is not None:
                uow.refresh_tokens.revoke_family(found.family_id)
                uow.audit.record("logout", user_id=found.user_id, ip=ip)

    def read_bearer(self, bearer: str) -> Bearer:
        """What can be known of a token without the database: an access token's signature,
        audience and expiry are checked here (`InvalidToken`); a personal access token is only
        hashed. No I/O, so a request can do it on the event loop."""
        if bearer.startswith(PAT_PREFIX):
            return Bearer(None, secret_hash(bearer))
        return Bearer(self._access.verify(bearer), None)

    def principal(self, bearer: Bearer) -> Principal:
        """Who a token read by `read_bearer` is (one statement); `InvalidToken` otherwise.

        An access token is refused once its user is deleted or has changed the password since
        it was issued (to the second: the change itself issues the new session's token). A
        personal access token is found by its hash, refused once expired or revoked, and is
        read-only."""
        with self._db.reads() as uow:
            caller = self.caller(uow, bearer, None)
        principal = self.admit(bearer, caller)
        self.record_use(caller)
        return principal

    def caller(
        self, uow: UnitOfWork, bearer: Bearer, business_id: uuid.UUID | None
    ) -> CallerRow | None:
        """What `admit` decides from, with the caller's role in `business_id`, read in the
        caller's unit of work (one statement)."""
        if bearer.claims is not None:
            return uow.callers.by_user(bearer.claims.user_id, business_id)
        assert bearer.token_hash is not None
        return uow.callers.by_token(bearer.token_hash, business_id, now=self._clock())

    def admit(self, bearer: Bearer, caller: CallerRow | None) -> Principal:
        """The principal, or `InvalidToken`: the user is gone or changed the password after the
        access token was issued, or the personal access token is unknown, expired or revoked."""
        if bearer.claims is not None:
            if caller is None or _issued_before_password_change(
                bearer.claims, caller.password_changed_at
            ):
                raise InvalidToken("invalid access token")
            return Principal(caller.user_id, "access")
        if caller is None:
            raise InvalidToken("invalid personal access token")
        return Principal(caller.user_id, "pat")

    def record_use(self, caller: CallerRow | None) -> None:
        """A personal access token's last use, written at most once per `LAST_USE_GAP` (outside
        any read snapshot: a write of its own)."""
        if caller is None or caller.token_id is None:
            return
        now = self._clock()
        last = caller.token_last_used_at
        if last is None or last <= now - LAST_USE_GAP:
            with self._db.transaction() as uow:
                uow.personal_tokens.touch(caller.token_id, now=now, gap=LAST_USE_GAP)

    def change_password(
        self, user_id: uuid.UUID, current: str, new: str, *, ip: str | None = None
    ) -> Session:
        """Set a new password and end every other session: their refresh tokens are revoked and
        their access tokens refused from now on. The caller continues in the new session
        answered here. Personal access tokens stay (their owner is in control; they can be
        revoked one by one)."""
        with self._db.transaction() as uow:
            user = uow.users.by_id(user_id)
            if user is None or not passwords.verify_password(user.password_hash, current):
                raise WrongPassword
            passwords.check_policy(new, user.email)
            if new == current:
                raise passwords.WeakPassword("the new password must differ from the current one")
            uow.users.change_password(user.id, passwords.hash_password(new), at=self._clock())
            uow.refresh_tokens.revoke_all_of(user.id)
            uow.audit.record("password.changed", user_id=user.id, ip=ip)
            return self._start(uow, user.id, uuid.uuid4())

    def user(self, user_id: uuid.UUID) -> UserRow | None:
        with self._db.snapshot() as uow:
            return uow.users.by_id(user_id)

    def _start(self, uow: UnitOfWork, user_id: uuid.UUID, family_id: uuid.UUID) -> Session:
        refresh = new_secret(REFRESH_PREFIX)
        expires_at = self._clock() + self._refresh_ttl
        uow.refresh_tokens.issue(user_id, family_id, secret_hash(refresh), expires_at)
        access = self._access.issue(user_id)
        return Session(access.token, access.expires_in, refresh, expires_at)


def _issued_before_password_change(claims: AccessClaims, changed: datetime | None) -> bool:
    return changed is not None and claims.issued_at < changed.replace(microsecond=0)
