"""Connecting a business to Stripe, following its import, and disconnecting it.

Two ways in, both read-only and both gated on a verified email address:

- **Connect OAuth** (`scope=read_only`). `start_connect` makes a random `state`, stores its hash
  bound to the user and the business, valid 10 minutes, and returns Stripe's authorize URL. The
  same `state` is given to the browser as a cookie: `finish_connect`, which the browser reaches
  coming back from Stripe, accepts the state only from the browser that asked for it (RFC 6749
  §10.12) — so a founder lured into finishing someone else's authorization cannot link their own
  Stripe account to that person's business. A state is used once, even when what follows fails.
  The code is exchanged through the stripe SDK; the access token is stored encrypted.
- **A restricted key** (`rk_…`; a secret key is refused). Read calls through the stripe SDK check
  it can read every resource the import reads, and name the account; it is stored encrypted.

Either links the business (`services.businesses.link_existing_business`), records
`connection.changed` in the audit log in the same transaction, and publishes "backfill requested".
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from vaultra.config import Settings
from vaultra.db.oauth_states import OAuthStateRow
from vaultra.db.unit_of_work import Database
from vaultra.events.messages import BackfillRequested
from vaultra.events.publisher import Publisher
from vaultra.services import credentials
from vaultra.services.auth_tokens import secret_hash
from vaultra.services.backfill import RESOURCES
from vaultra.services.businesses import (
    AccountAlreadyLinked,
    BusinessAlreadyConnected,
    BusinessHoldsOtherData,
    InvalidAccountId,
    is_demo_account,
    link_existing_business,
)
from vaultra.services.email_verification import EmailNotVerified
from vaultra.services.stripe_access import connect_client, key_client, platform_livemode
from vaultra.services.sync_status import SyncStatus, redacted, sync_status
from vaultra.services.tenancy import Access

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
# Expired states are kept a day (a late callback is told "expired", not "unknown"), then purged.
STATE_KEPT = timedelta(days=1)
SCOPE = "read_only"
CALLBACK_PATH = "/api/v1/stripe/oauth/callback"
DASHBOARD_PATH = "/app"
# A restricted key: Stripe's `rk_live_…` / `rk_test_…`. Secret keys (`sk_…`) are refused: Vaultra
# never holds a key that can write.
RESTRICTED_KEY = re.compile(r"^rk_(live|test)_[A-Za-z0-9]{16,240}$")


class NotConnected(LookupError):
    """The business has no current Stripe connection."""


class StripeUnavailable(RuntimeError):
    """Stripe could not be reached or answered with an error of its own; try again later."""


class InvalidStripeKey(ValueError):
    """The key is not a restricted key, or Stripe refused it, or it cannot read what the import
    reads. `kind` names which."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class AlreadyConnected(Exception):
    """The business, or the account, cannot be linked now. `kind` names why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ConnectFailed(Exception):
    """The OAuth callback linked nothing. `kind` is a stable name for the dashboard;
    `business_id` is known once a state this browser holds was found."""

    def __init__(self, kind: str, message: str, business_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.business_id = business_id


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    state: str  # for the browser's cookie; never logged
    expires_at: datetime


@dataclass(frozen=True)
class Connected:
    business_id: uuid.UUID
    account_id: str
    livemode: bool


class StripeOnboarding:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._settings = settings
        self._clock = clock

    # --- Connect OAuth ---------------------------------------------------------------------

    def start_connect(self, access: Access) -> ConnectStart:
        """Stripe's authorize URL for this business, with a fresh state bound to the caller."""
        access.require_owner()
        self._require_verified(access.user_id)
        self._refuse_if_connected(access.business_id)
        client = connect_client(self._settings)  # ConnectNotConfigured
        state = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + STATE_TTL
        with self._db.transaction() as uow:
            uow.oauth_states.purge_expired(now - STATE_KEPT)
            uow.oauth_states.create(
                secret_hash(state),
                user_id=access.user_id,
                business_id=access.business_id,
                livemode=platform_livemode(self._settings),
                expires_at=expires_at,
            )
        url = client.oauth.authorize_url(
            params={
                "scope": SCOPE,
                "state": state,
                "redirect_uri": self._settings.public_url + CALLBACK_PATH,
                "stripe_landing": "login",  # founders already have a Stripe account
            }
        )
        return ConnectStart(url, state, expires_at)

    def finish_connect(
        self,
        *,
        state: str | None,
        browser_state: str | None,
        code: str | None,
        error: str | None,
        ip: str | None,
    ) -> Connected:
        """Check the state, exchange the code, link the account and start its import. Raises
        `ConnectFailed` — and links nothing — on every other outcome."""
        found = self._use_state(state, browser_state)
        business_id = found.business_id
        if error:
            raise ConnectFailed("access-denied", "access was not granted in Stripe", business_id)
        if not code:
            raise ConnectFailed("code-missing", "Stripe sent no authorization code", business_id)
        account_id, access_token = self._granted(self._exchange(code, business_id), found)
        try:
            return self._link(
                found.user_id,
                business_id,
                account_id,
                found.livemode,
                credentials.encrypt(self._settings, access_token),
                via="oauth",
                ip=ip,
                consent_at=int(found.created_at.timestamp()),
            )
        except AlreadyConnected as exc:
            raise ConnectFailed(exc.kind, str(exc), business_id) from None
        except InvalidAccountId:
            raise ConnectFailed(
                "stripe-refused", "Stripe named no valid account", business_id
            ) from None

    def _use_state(self, state: str | None, browser_state: str | None) -> OAuthStateRow:
        """The state's row, now used: it must come from the browser that asked for it, exist,
        be unused and unexpired, and its user must still own the business."""
        if not state:
            raise ConnectFailed("state-missing", "Stripe sent no state back")
        if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
            # Not looked up: a state from another browser is neither used nor revealed.
            raise ConnectFailed(
                "state-not-this-browser", "this authorization was started in another browser"
            )
        now = self._clock()
        with self._db.transaction() as uow:
            found = uow.oauth_states.find_for_update(secret_hash(state))
            if found is not None and found.used_at is None:
                uow.oauth_states.mark_used(secret_hash(state))  # used once, whatever follows
            owner = found is not None and (
                uow.memberships.role_of(found.business_id, found.user_id) == "owner"
            )
        if found is None or not owner:
            raise ConnectFailed("state-unknown", "this authorization is unknown")
        if found.used_at is not None:
            raise ConnectFailed(
                "state-used", "this authorization was already used", found.business_id
            )
        if found.expires_at <= now:
            raise ConnectFailed(
                "state-expired", "this authorization expired; start again", found.business_id
            )
        return found

    @staticmethod
    def _granted(token: dict[str, Any], found: OAuthStateRow) -> tuple[str, str]:
        """(account id, access token) of a grant that is what was asked for: read-only, in the
        platform's mode. Stripe's answer is input like any other."""
        business_id = found.business_id
        if token.get("scope") != SCOPE:
            raise ConnectFailed(
                "scope-not-read-only", "Stripe granted more than read-only access", business_id
            )
        if bool(token.get("livemode")) is not found.livemode:
            raise ConnectFailed(
                "wrong-mode", "Stripe granted access in the other mode", business_id
            )
        access_token = str(token.get("access_token") or "")
        if not access_token:
            raise ConnectFailed("stripe-refused", "Stripe granted no access token", business_id)
        return str(token.get("stripe_user_id") or ""), access_token

    def _exchange(self, code: str, business_id: uuid.UUID) -> dict[str, Any]:
        client = connect_client(self._settings)
        try:
            token = client.oauth.token(params={"grant_type": "authorization_code", "code": code})
        except stripe.oauth_error.OAuthError as exc:
            log.warning("Stripe refused an OAuth code: %s", exc.code)
            raise ConnectFailed(
                "stripe-refused", "Stripe refused the authorization code", business_id
            ) from None
        except stripe.StripeError as exc:
            log.warning("OAuth code exchange failed: %s", type(exc).__name__)
            raise ConnectFailed(
                "stripe-unavailable", "Stripe could not be reached; try again", business_id
            ) from None
        return dict(token.to_dict())

    # --- A restricted key ------------------------------------------------------------------

    def connect_with_key(self, access: Access, key: str, *, ip: str | None) -> Connected:
        access.require_owner()
        self._require_verified(access.user_id)
        key = key.strip()
        if key.startswith(("sk_live_", "sk_test_")):
            raise InvalidStripeKey(
                "not-a-restricted-key",
                "this is a secret key, which can write: create a restricted key with read access",
            )
        if not RESTRICTED_KEY.match(key):
            raise InvalidStripeKey(
                "not-a-restricted-key", "a restricted key looks like rk_live_… or rk_test_…"
            )
        self._refuse_if_connected(access.business_id)
        consent_at = int(self._clock().timestamp())
        account_id = self._check_key(key)
        return self._link(
            access.user_id,
            access.business_id,
            account_id,
            key.startswith("rk_live_"),
            credentials.encrypt(self._settings, key),
            via="restricted_key",
            ip=ip,
            consent_at=consent_at,
        )

    def _check_key(self, key: str) -> str:
        """The key's account, once one read of every resource the import reads succeeded."""
        client = key_client(self._settings, key)
        account = _read("the account", client.v1.accounts.retrieve_current)
        for resource in RESOURCES:
            service = resource.service(client)
            _read(resource.name, lambda: service.list(params={"limit": 1, **resource.params}))  # noqa: B023 - called at once
        _read("events", lambda: client.v1.events.list(params={"limit": 1}))
        return str(account.id)

    # --- linking, shared by both ways ------------------------------------------------------

    def _link(
        self,
        user_id: uuid.UUID,
        business_id: uuid.UUID,
        account_id: str,
        livemode: bool,
        secret: bytes,
        *,
        via: str,
        ip: str | None,
        consent_at: int,
    ) -> Connected:
        try:
            with self._db.transaction() as uow:
                link_existing_business(
                    uow, business_id, account_id, livemode, secret, consent_at=consent_at
                )
                uow.audit.record(
                    "connection.changed",
                    user_id=user_id,
                    business_id=business_id,
                    ip=ip,
                    detail={
                        "change": "connected",
                        "via": via,
                        "account_id": account_id,
                        "livemode": livemode,
                    },
                )
        except BusinessAlreadyConnected as exc:
            raise AlreadyConnected("already-connected", str(exc)) from None
        except BusinessHoldsOtherData as exc:
            raise AlreadyConnected("business-holds-other-data", str(exc)) from None
        except AccountAlreadyLinked:
            raise AlreadyConnected(
                "account-linked-elsewhere", "this Stripe account is linked to another business"
            ) from None
        self._request_backfill(business_id, account_id)
        return Connected(business_id, account_id, livemode)

    def _request_backfill(self, business_id: uuid.UUID, account_id: str) -> None:
        try:
            self._publisher.publish(
                BackfillRequested(
                    business_id=business_id, account_id=account_id, requested_at=self._clock()
                )
            )
        except Exception as exc:
            # Linked and committed; the founder sees "importing" until the import is requested
            # again (the message is the only trigger: see the report's limits).
            log.error("linked %s but could not request its backfill: %s", business_id, exc)

    def _refuse_if_connected(self, business_id: uuid.UUID) -> None:
        """Before asking anything of Stripe: a connected business, or one holding demo data,
        cannot be connected (a business that was disconnected may reconnect its own account)."""
        with self._db.snapshot() as uow:
            before = uow.sync_progress.connection(business_id)
        if before is not None and is_demo_account(before.account_id):
            raise AlreadyConnected(
                "business-holds-other-data",
                "the business holds demo data: connect Stripe to a new business",
            )
        if before is not None and before.deauthorized_at is None:
            raise AlreadyConnected("already-connected", "the business is connected to Stripe")

    def _require_verified(self, user_id: uuid.UUID) -> None:
        with self._db.snapshot() as uow:
            user = uow.users.by_id(user_id)
        if user is None or user.email_verified_at is None:
            raise EmailNotVerified

    # --- disconnecting ---------------------------------------------------------------------

    def disconnect(self, access: Access, *, ip: str | None) -> None:
        """Stop reading the account: the link is revoked and its credentials forgotten; the data
        imported so far stays."""
        access.require_owner()
        with self._db.transaction() as uow:
            current = uow.businesses.connection_of(access.business_id)
            if current is None or current.deauthorized_at is not None:
                raise NotConnected("the business is not connected to Stripe")
            uow.businesses.revoke(access.business_id)
            uow.audit.record(
                "connection.changed",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={
                    "change": "disconnected",
                    "account_id": current.account_id,
                    "livemode": current.livemode,
                },
            )

    # --- the import's progress -------------------------------------------------------------

    def sync_status(self, access: Access) -> SyncStatus:
        return sync_status(self._db, access.business_id)


def _read(name: str, read: Callable[[], Any]) -> Any:
    """One read with a founder's key, its failures said in the founder's terms."""
    try:
        return read()
    except stripe.AuthenticationError:
        raise InvalidStripeKey(
            "stripe-key-refused", "Stripe does not accept this key (revoked or mistyped?)"
        ) from None
    except stripe.PermissionError:
        raise InvalidStripeKey(
            "stripe-key-lacks-access",
            f"the key cannot read {name}: give it read access to the account, customers, "
            "subscriptions, invoices, charges, refunds, disputes, payouts, balance transactions "
            "and events",
        ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        log.warning("checking a restricted key: %s", type(exc).__name__)
        raise StripeUnavailable("Stripe could not be reached; try again") from None
    except stripe.StripeError as exc:
        raise InvalidStripeKey(
            "stripe-key-refused", redacted(f"Stripe refused a read: {exc.user_message}")
        ) from None
