"""The local demo's login: one person who owns the demo businesses, so that `make demo` ends
with an account to sign in with.

Never in a deployed environment: a well-known account whose password is printed on a console is
exactly what production must not have. The password is made once per `VAULTRA_HOME` (kept
beside the other local keys, readable by its owner only) and reused by every later run, so a
second `make demo` prints the same login."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vaultra.db.unit_of_work import Database
from vaultra.services import passwords
from vaultra.services.local_keys import local_key

DEMO_EMAIL = "demo@vaultra.local"
PASSWORD_FILE = "demo-login.key"


class LocalLoginRefused(RuntimeError):
    """Asked for in a deployed environment."""


@dataclass(frozen=True)
class LocalLogin:
    email: str
    password: str


class LocalDemoLogin:
    def __init__(
        self,
        db: Database,
        *,
        deployed: bool,
        home: Path,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._deployed = deployed
        self._home = home
        self._clock = clock

    def ensure(self, business_ids: Iterable[uuid.UUID]) -> LocalLogin:
        """The demo person, made or brought back to the local password, verified, owning
        `business_ids` (as well as whatever they owned before)."""
        if self._deployed:
            raise LocalLoginRefused(
                "the demo login exists only on a local machine (VAULTRA_ENV=local): a deployed "
                "Vaultra never has an account whose password is printed"
            )
        password = local_key(
            self._home, PASSWORD_FILE, lambda: secrets.token_urlsafe(18).encode()
        ).decode()
        with self._db.transaction() as uow:
            user = uow.users.by_email(DEMO_EMAIL)
            if user is None:
                user = uow.users.create(DEMO_EMAIL, passwords.hash_password(password))
                if user is None:  # another demo run made it a moment ago
                    raise LocalLoginRefused("another `vaultra demo` is running: try again")
                uow.audit.record("account.created", user_id=user.id)
            elif not passwords.verify_password(user.password_hash, password):
                # Someone changed it (through the API): the printed password must work again.
                uow.users.change_password(
                    user.id, passwords.hash_password(password), at=self._clock()
                )
            uow.users.mark_verified(user.id, at=self._clock())
            for business_id in business_ids:
                uow.members.join(business_id, user.id, "owner")
        return LocalLogin(DEMO_EMAIL, password)
