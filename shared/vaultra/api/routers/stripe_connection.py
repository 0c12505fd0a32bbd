"""Stripe onboarding: connect a business (Connect OAuth, read-only, or a restricted key), follow its
import, disconnect it.

The OAuth callback is the one public route here: the browser reaches it coming back from Stripe,
without a bearer token (the dashboard's token lives in its page, and the refresh cookie is
`SameSite=Strict`, which a navigation from Stripe does not carry). It is authenticated by the
single-use state, bound to the user and the business that asked for it and — through the
`vaultra_oauth_state` cookie (`SameSite=Lax`, which that navigation does carry) — to their browser.
It always answers with a redirect to the dashboard, which says what happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Query, Response, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.problems import ApiError, responses
from vaultra.services.onboarding import (
    DASHBOARD_PATH,
    STATE_TTL,
    AlreadyConnected,
    ConnectFailed,
    InvalidStripeKey,
    NotConnected,
    StripeUnavailable,
)
from vaultra.services.stripe_access import ConnectNotConfigured
from vaultra.services.sync_status import SyncStatus
from vaultra.services.tenancy import Forbidden

router = APIRouter(tags=["stripe"])

STATE_COOKIE = "vaultra_oauth_state"
STATE_COOKIE_PATH = "/api/v1/stripe/oauth"
MAX_PARAMETER = 500


# --- models ---------------------------------------------------------------------------------


class ConnectStarted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "authorize_url": "https://connect.stripe.com/oauth/authorize?scope=read_only"
                    "&state=…&redirect_uri=…&client_id=ca_…&response_type=code",
                    "expires_at": "2026-11-29T10:10:00Z",
                }
            ]
        }
    )
    authorize_url: str = Field(description="Send the founder's browser here.")
    expires_at: datetime = Field(description="The authorization must finish before this.")


class RestrictedKey(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"key": "rk_test_51NxExampleExample00"}]}
    )
    key: str = Field(
        min_length=1,
        max_length=255,
        description="A restricted key (`rk_live_…` or `rk_test_…`) with read access to the "
        "account, customers, subscriptions, invoices, charges, refunds, disputes, payouts, "
        "balance transactions and events. Secret keys are refused.",
    )


class StripeConnected(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_id": "acct_1NxExample", "livemode": False}]}
    )
    account_id: str
    livemode: bool


class ResourceProgress(BaseModel):
    months_done: int = Field(description="Months of this resource fully imported.")
    objects: int = Field(description="Objects of this resource imported.")


class ConnectionState(BaseModel):
    account_id: str
    livemode: bool
    demo: bool = Field(description="A synthetic account holding demo data.")
    linked_at: datetime
    disconnected_at: datetime | None = Field(description="Set once ingest stopped.")


class SyncProgress(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "state": "importing",
                    "resources": {"charges": {"months_done": 3, "objects": 1250}},
                    "months_done": 3,
                    "first_score_ready": True,
                    "last_event_at": "2026-11-29T09:58:12Z",
                    "error": None,
                    "connection": {
                        "account_id": "acct_1NxExample",
                        "livemode": False,
                        "demo": False,
                        "linked_at": "2026-11-29T09:57:40Z",
                        "disconnected_at": None,
                    },
                }
            ]
        }
    )
    state: Literal["idle", "importing", "ready", "failed"] = Field(
        description="idle: nothing connected (or disconnected); importing: the history is being "
        "imported; ready: imported, live changes follow; failed: the import stopped (see error)."
    )
    resources: dict[str, ResourceProgress]
    months_done: int = Field(description="Months in which every resource is imported.")
    first_score_ready: bool
    last_event_at: datetime | None = Field(description="When the latest Stripe event happened.")
    error: str | None = Field(description="Why the import stopped, when it failed.")
    connection: ConnectionState | None


def _progress(found: SyncStatus) -> SyncProgress:
    connection = found.connection
    return SyncProgress(
        state=found.state,
        resources={
            name: ResourceProgress(months_done=p.months_done, objects=p.objects)
            for name, p in found.resources.items()
        },
        months_done=found.months_done,
        first_score_ready=found.first_score_ready,
        last_event_at=found.last_event_at,
        error=found.error,
        connection=ConnectionState(
            account_id=connection.account_id,
            livemode=connection.livemode,
            demo=connection.demo,
            linked_at=connection.linked_at,
            disconnected_at=connection.disconnected_at,
        )
        if connection
        else None,
    )


# --- routes ---------------------------------------------------------------------------------


@router.post(
    "/businesses/{business_id}/stripe/connect",
    operation_id="startStripeConnect",
    response_model=ConnectStarted,
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Start connecting Stripe (OAuth, read-only)",
)
def start_connect(
    access: BusinessAccess, _writer: Writer, runtime: RuntimeDep, response: Response
) -> ConnectStarted:
    """Stripe's authorize URL, asking for read-only access, with a state valid 10 minutes and
    bound to the caller, the business and — by a cookie — this browser. Owner only; the
    caller's email address must be verified (403 `email-not-verified`)."""
    try:
        started = runtime.onboarding.start_connect(access)
    except Forbidden as exc:
        raise ApiError(403, str(exc), kind="owner-only") from None
    except AlreadyConnected as exc:
        raise ApiError(409, str(exc), kind=exc.kind) from None
    except ConnectNotConfigured:
        raise ApiError(
            503, "connecting with Stripe is not available here", kind="connect-not-configured"
        ) from None
    response.set_cookie(
        STATE_COOKIE,
        started.state,
        max_age=int(STATE_TTL.total_seconds()),
        path=STATE_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="lax",  # sent on the navigation back from Stripe; never on cross-site posts
    )
    return ConnectStarted(authorize_url=started.authorize_url, expires_at=started.expires_at)


@router.get(
    "/stripe/oauth/callback",
    operation_id="completeStripeConnect",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "To the dashboard: `/app?connected=<business_id>`, or "
            "`/app?connect_error=<kind>[&business=<business_id>]`.",
        },
        **responses(422),
    },
    summary="Where Stripe sends the founder back (public)",
)
def complete_connect(
    runtime: RuntimeDep,
    ip: ClientIp,
    code: Annotated[str | None, Query(max_length=MAX_PARAMETER)] = None,
    state: Annotated[str | None, Query(max_length=MAX_PARAMETER)] = None,
    error: Annotated[str | None, Query(max_length=MAX_PARAMETER)] = None,
    browser_state: Annotated[
        str | None, Cookie(alias=STATE_COOKIE, max_length=MAX_PARAMETER)
    ] = None,
) -> RedirectResponse:
    """Checks the state (this browser's, unused, unexpired, its user still an owner), exchanges
    the code through Stripe, stores the access token encrypted, links the account and starts its
    import. Every failure links nothing. Error kinds: `state-missing`, `state-not-this-browser`,
    `state-unknown`, `state-used`, `state-expired`, `access-denied`, `code-missing`,
    `stripe-refused`, `stripe-unavailable`, `scope-not-read-only`, `wrong-mode`,
    `already-connected`, `business-holds-other-data`, `account-linked-elsewhere`."""
    dashboard = runtime.settings.public_url + DASHBOARD_PATH
    try:
        connected = runtime.onboarding.finish_connect(
            state=state, browser_state=browser_state, code=code, error=error, ip=ip
        )
        target = f"{dashboard}?{urlencode({'connected': str(connected.business_id)})}"
    except ConnectFailed as exc:
        query = {"connect_error": exc.kind}
        if exc.business_id is not None:
            query["business"] = str(exc.business_id)
        target = f"{dashboard}?{urlencode(query)}"
    answer = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    answer.delete_cookie(
        STATE_COOKIE, path=STATE_COOKIE_PATH, secure=True, httponly=True, samesite="lax"
    )
    return answer


@router.post(
    "/businesses/{business_id}/stripe/restricted-key",
    operation_id="connectStripeKey",
    status_code=status.HTTP_201_CREATED,
    response_model=StripeConnected,
    responses=responses(401, 403, 404, 409, 413, 422, 503),
    summary="Connect Stripe with a restricted key",
)
def connect_with_key(
    body: RestrictedKey,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> StripeConnected:
    """Checks the key with one read of everything the import reads, stores it encrypted, links
    its account and starts the import. Owner only, with a verified email address. 422 kinds:
    `not-a-restricted-key`, `stripe-key-refused`, `stripe-key-lacks-access`."""
    try:
        connected = runtime.onboarding.connect_with_key(access, body.key, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc), kind="owner-only") from None
    except InvalidStripeKey as exc:
        raise ApiError(422, str(exc), kind=exc.kind) from None
    except AlreadyConnected as exc:
        raise ApiError(409, str(exc), kind=exc.kind) from None
    except StripeUnavailable as exc:
        raise ApiError(503, str(exc), kind="stripe-unavailable") from None
    return StripeConnected(account_id=connected.account_id, livemode=connected.livemode)


@router.get(
    "/businesses/{business_id}/stripe/sync",
    operation_id="getStripeSync",
    response_model=SyncProgress,
    responses=responses(401, 404, 422),
    summary="How far the Stripe import has come",
)
def get_sync(access: BusinessAccess, runtime: RuntimeDep) -> SyncProgress:
    return _progress(runtime.onboarding.sync_status(access))


@router.delete(
    "/businesses/{business_id}/stripe",
    operation_id="disconnectStripe",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
    summary="Disconnect Stripe",
)
def disconnect(
    access: BusinessAccess, _writer: Writer, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    """Stops reading the account and forgets its credentials; the data imported so far stays.
    Owner only; 409 `not-connected` when nothing is connected."""
    try:
        runtime.onboarding.disconnect(access, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc), kind="owner-only") from None
    except NotConnected as exc:
        raise ApiError(409, str(exc), kind="not-connected") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
