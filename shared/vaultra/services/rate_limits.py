"""Rate limits on authentication: per client address and per account, with exponential backoff.

Each `Rule` names an action and its limits. An attempt is `check`ed before it is tried (one
statement reads every key), and counted when it fails (one `INSERT … ON CONFLICT … RETURNING` for
every key); for actions where every request costs something (a mail sent), each request is
counted (`hit`). After `limit` counts in a `WINDOW`, a key is held back for `BASE_HOLD`, doubled
at every further count (1, 2, 4, … minutes, at most `MAX_HOLD`); the window restarts once it has
elapsed and the key is not held back. A success clears the account's key, never the address's.

Keys are digests — `login:account:<sha256>` — so the table holds no address and no email.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaultra.db.unit_of_work import Database

WINDOW = timedelta(minutes=15)
BASE_HOLD = timedelta(minutes=1)
MAX_HOLD = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    """An action's limits within a window: per client address, per account (None: no limit)."""

    action: str
    per_address: int | None
    per_account: int | None


# Wrong passwords: few per account (guessing one account), more per address (offices share one).
LOGIN = Rule("login", per_address=30, per_account=5)
# Every sign-up counts per address (mass sign-ups); a taken address counts per account.
SIGNUP = Rule("signup", per_address=20, per_account=5)
# Every reset request counts: each sends a mail.
PASSWORD_RESET = Rule("password-reset", per_address=20, per_account=5)
# Links that do not work (reset or verification): guessing is hopeless, trying costs anyway.
LINK_TOKEN = Rule("link-token", per_address=20, per_account=None)
# Every verification mail asked for again counts.
VERIFICATION_RESEND = Rule("verification-resend", per_address=None, per_account=5)
# A wrong current password when changing it (someone with a stolen session guessing).
PASSWORD_CHANGE = Rule("password-change", per_address=None, per_account=5)


class RateLimited(Exception):
    """Held back; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:40]


@dataclass(frozen=True)
class Attempt:
    """The keys one attempt is counted under, each with its limit."""

    limits: dict[str, int]
    account_key: str | None


class RateLimiter:
    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock

    def attempt(self, rule: Rule, *, ip: str | None, account: str | None = None) -> Attempt:
        limits: dict[str, int] = {}
        account_key = None
        if rule.per_address is not None and ip:
            limits[f"{rule.action}:address:{_digest(ip)}"] = rule.per_address
        if rule.per_account is not None and account:
            account_key = f"{rule.action}:account:{_digest(account)}"
            limits[account_key] = rule.per_account
        return Attempt(limits, account_key)

    def check(self, attempt: Attempt) -> None:
        """`RateLimited` if any of the attempt's keys is held back now."""
        if not attempt.limits:
            return
        now = self._clock()
        with self._db.snapshot() as uow:
            until = uow.rate_limits.blocked_until(list(attempt.limits), now=now)
        if until is not None:
            raise RateLimited(max(1, math.ceil((until - now).total_seconds())))

    def failed(self, attempt: Attempt) -> None:
        """Count a failure against every key of the attempt."""
        if not attempt.limits:
            return
        with self._db.transaction() as uow:
            uow.rate_limits.record_failure(
                attempt.limits, now=self._clock(), window=WINDOW, base=BASE_HOLD, cap=MAX_HOLD
            )

    def hit(self, attempt: Attempt) -> None:
        """For actions where every request counts: refused when held back, counted otherwise."""
        self.check(attempt)
        self.failed(attempt)

    def succeeded(self, attempt: Attempt) -> None:
        """A success clears the account's key (the address's stays: one address may be trying
        many accounts)."""
        if attempt.account_key is None:
            return
        with self._db.transaction() as uow:
            uow.rate_limits.clear([attempt.account_key])
