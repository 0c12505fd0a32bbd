"""The dependencies routes declare: the runtime, who calls, and which business.

`CurrentPrincipal` is whoever the bearer token names (401 otherwise). `BusinessAccess` reads the
path's `business_id` and the caller's membership of it: another tenant's business answers 404,
exactly as a business that does not exist. `Writer` refuses a read-only token (a personal access
token) with 403.

FastAPI runs a plain `def` dependency in its thread pool, one hop per dependency; an `async def`
one runs on the event loop. Those that do no I/O are `async` (the runtime, the caller's address,
reading the bearer token: an HMAC and a few claims), so a request makes one hop for its database
work: `BusinessAccess` authenticates the token and checks the membership in one statement, and a
route may go further and read on that same connection (`Tenancy.read_as`, as the summary does).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from vaultra.api.problems import ApiError
from vaultra.bootstrap import Runtime
from vaultra.services.accounts import Bearer, Principal
from vaultra.services.auth_tokens import InvalidToken
from vaultra.services.tenancy import Access, NotFound

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="An access token, or a personal access token.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vaultra"'}


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _unauthenticated() -> ApiError:
    return ApiError(401, "the token is invalid or has expired", headers=_CHALLENGE)


async def raw_bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The `Authorization: Bearer` token as sent (401 without one)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401, "sign in first: send `Authorization: Bearer <token>`", headers=_CHALLENGE
        )
    return credentials.credentials


RawBearerToken = Annotated[str, Depends(raw_bearer_token)]


async def bearer_token(runtime: RuntimeDep, token: RawBearerToken) -> Bearer:
    """The bearer token as far as it can be checked without the database (401 otherwise)."""
    try:
        return runtime.accounts.read_bearer(token)
    except InvalidToken:
        raise _unauthenticated() from None


BearerToken = Annotated[Bearer, Depends(bearer_token)]


def current_principal(runtime: RuntimeDep, bearer: BearerToken) -> Principal:
    try:
        return runtime.accounts.principal(bearer)
    except InvalidToken:
        raise _unauthenticated() from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def writer(principal: CurrentPrincipal) -> Principal:
    if not principal.can_write:
        raise ApiError(403, "this token is read-only", kind="read-only-token")
    return principal


Writer = Annotated[Principal, Depends(writer)]

BusinessId = Annotated[uuid.UUID, Path(description="The business's id.")]


def business_access(business_id: BusinessId, bearer: BearerToken, runtime: RuntimeDep) -> Access:
    """401 exactly as `CurrentPrincipal` decides it, then 404 unless the caller is a member: one
    worker-thread hop, one statement."""
    try:
        return runtime.tenancy.access(bearer, business_id)
    except InvalidToken:
        raise _unauthenticated() from None
    except NotFound:
        raise ApiError(404, "no such business") from None


BusinessAccess = Annotated[Access, Depends(business_access)]


async def read_in_business(
    runtime: Runtime,
    bearer: Bearer,
    business_id: uuid.UUID,
    read: Callable[[Any, Access], T],
) -> T:
    """What `BusinessAccess` checks, then the route's `read(uow, access)` on the same connection
    (a service's `…_in` method, one statement): one worker-thread hop and one connection checkout
    for the whole request. 401 and 404 exactly as `BusinessAccess` answers them."""
    try:
        return await run_in_threadpool(runtime.tenancy.read_as, bearer, business_id, read)
    except InvalidToken:
        raise _unauthenticated() from None
    except NotFound:
        raise ApiError(404, "no such business") from None


async def client_ip(request: Request, runtime: RuntimeDep) -> str | None:
    """The caller's address. Behind Google's load balancer the request arrives with
    `X-Forwarded-For: <client>, <load balancer>` (the client may have sent earlier entries of its
    own): the entry before the last is the one Google saw. Locally, the socket's peer."""
    forwarded = request.headers.get("x-forwarded-for")
    if runtime.settings.deployed and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= 2:
            return hops[-2][:64]
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]
