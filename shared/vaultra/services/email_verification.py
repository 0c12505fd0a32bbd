"""Email verification: a single-use token (24 h, stored hashed) mailed at sign-up and on request.

Verification never blocks signing in or exploring demo data. It gates what reaches outside the
account — connecting Stripe, inviting members, sharing with a lender — through `require_verified`,
whose `EmailNotVerified` the API answers with 403 (`email-not-verified`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from vaultra.db.unit_of_work import Database
from vaultra.db.users import UserRow
from vaultra.services.auth_tokens import new_secret, secret_hash
from vaultra.services.mail import Mail, Mailer, deliver
from vaultra.services.mailed_tokens import (
    EMAIL_VERIFICATION,
    VERIFICATION_PREFIX,
    VERIFICATION_TTL,
    InvalidMailedToken,
    link,
)


class EmailNotVerified(PermissionError):
    """The caller's email address is not verified yet, and this needs it."""

    def __init__(self) -> None:
        super().__init__("verify your email address first (see the mail we sent, or ask again)")


class AlreadyVerified(ValueError):
    pass


class EmailVerification:
    def __init__(
        self,
        db: Database,
        mailer: Mailer,
        *,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._mailer = mailer
        self._public_url = public_url
        self._clock = clock

    def send(self, user_id: uuid.UUID) -> None:
        """Mail a new verification link (earlier links stop working)."""
        token = new_secret(VERIFICATION_PREFIX)
        now = self._clock()
        with self._db.transaction() as uow:
            user = uow.users.by_id(user_id)
            if user is None:  # deleted meanwhile: nothing to send
                return
            if user.email_verified_at is not None:
                raise AlreadyVerified("the email address is already verified")
            uow.user_tokens.issue(
                user.id,
                EMAIL_VERIFICATION,
                secret_hash(token),
                now=now,
                expires_at=now + VERIFICATION_TTL,
            )
        url = link(self._public_url, "verify-email", token)
        deliver(
            self._mailer,
            Mail(
                to=user.email,
                subject="Confirm your email address for Vaultra",
                body=(
                    "Confirm this address to connect Stripe, invite your team and share your "
                    f"report with lenders:\n\n{url}\n\nThe link works once, for 24 hours. If you "
                    "did not create a Vaultra account, ignore this mail.\n"
                ),
                link=url,
            ),
        )

    def verify(self, token: str, *, ip: str | None = None) -> UserRow:
        """The account the token verifies, now verified; `InvalidMailedToken` otherwise."""
        now = self._clock()
        with self._db.transaction() as uow:
            user_id = uow.user_tokens.take(secret_hash(token), EMAIL_VERIFICATION, now=now)
            user = uow.users.by_id(user_id) if user_id else None
            if user is None:
                raise InvalidMailedToken("the link is invalid, used or expired")
            uow.users.mark_verified(user.id, at=now)
            uow.audit.record("email.verified", user_id=user.id, ip=ip)
            verified = uow.users.by_id(user.id)
        assert verified is not None
        return verified

    def require_verified(self, user_id: uuid.UUID) -> None:
        """`EmailNotVerified` unless the user's address is verified (call it before connecting
        Stripe, inviting a member or sharing)."""
        with self._db.snapshot() as uow:
            user = uow.users.by_id(user_id)
        if user is None or user.email_verified_at is None:
            raise EmailNotVerified
