"""Password reset for who cannot sign in: a single-use token (1 h, stored hashed) mailed to the
account's address.

Asking always answers the same, whether the account exists or not. Confirming sets the new
password and ends everything that could be someone else's: every session, every access token
issued before (refused from the change on), every personal access token (whoever took the account
over could have made one). The mail proved the address, so it is verified too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from vaultra.db.unit_of_work import Database
from vaultra.services import passwords
from vaultra.services.accounts import InvalidEmail, normalize_email
from vaultra.services.auth_tokens import new_secret, secret_hash
from vaultra.services.mail import Mail, Mailer, deliver
from vaultra.services.mailed_tokens import (
    PASSWORD_RESET,
    RESET_PREFIX,
    RESET_TTL,
    InvalidMailedToken,
    link,
)


class PasswordReset:
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

    def request(self, email: str, *, ip: str | None = None) -> None:
        """Mail a reset link if an account has this address; say nothing either way."""
        try:
            email = normalize_email(email)
        except InvalidEmail:
            return
        token = new_secret(RESET_PREFIX)
        now = self._clock()
        with self._db.transaction() as uow:
            user = uow.users.by_email(email)
            if user is None:
                return
            uow.user_tokens.issue(
                user.id, PASSWORD_RESET, secret_hash(token), now=now, expires_at=now + RESET_TTL
            )
            uow.audit.record("password.reset_requested", user_id=user.id, ip=ip)
        url = link(self._public_url, "reset-password", token)
        deliver(
            self._mailer,
            Mail(
                to=user.email,
                subject="Reset your Vaultra password",
                body=(
                    f"Someone asked to reset the password of this Vaultra account:\n\n{url}\n\n"
                    "The link works once, for one hour, and signs out every session. If it was "
                    "not you, ignore this mail: your password is unchanged.\n"
                ),
                link=url,
            ),
        )

    def confirm(self, token: str, new_password: str, *, ip: str | None = None) -> None:
        """Set the new password; `InvalidMailedToken` or `WeakPassword` leave everything as it
        was (the token included: the transaction rolls back)."""
        now = self._clock()
        with self._db.transaction() as uow:
            user_id = uow.user_tokens.take(secret_hash(token), PASSWORD_RESET, now=now)
            user = uow.users.by_id(user_id) if user_id else None
            if user is None:
                raise InvalidMailedToken("the link is invalid, used or expired")
            passwords.check_policy(new_password, user.email)
            uow.users.change_password(user.id, passwords.hash_password(new_password), at=now)
            uow.users.mark_verified(user.id, at=now)
            uow.refresh_tokens.revoke_all_of(user.id)
            uow.personal_tokens.revoke_all_of(user.id, now=now)
            uow.audit.record("password.reset", user_id=user.id, ip=ip)
