"""The dependencies routes declare: the runtime, who calls, and which business.

`CurrentPrincipal` is whoever the bearer token names (401 otherwise). `BusinessAccess` reads the
path's `business_id` and the caller's membership of it: another tenant's business answers 404,
exactly as a business that does not exist. `Writer` refuses a read-only token (a personal access
token) with 403.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vaultra.api.problems import ApiError
from vaultra.bootstrap import Runtime
from vaultra.services.accounts import Principal
from vaultra.services.auth_tokens import InvalidToken
from vaultra.services.tenancy import Access, NotFound

_bearer = HTTPBearer(auto_error=False, description="An access token, or a personal access token.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vaultra"'}


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def current_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401, "sign in first: send `Authorization: Bearer <token>`", headers=_CHALLENGE
        )
    try:
        return runtime.accounts.authenticate(credentials.credentials)
    except InvalidToken:
        raise ApiError(401, "the token is invalid or has expired", headers=_CHALLENGE) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def writer(principal: CurrentPrincipal) -> Principal:
    if not principal.can_write:
        raise ApiError(403, "this token is read-only", kind="read-only-token")
    return principal


Writer = Annotated[Principal, Depends(writer)]

BusinessId = Annotated[uuid.UUID, Path(description="The business's id.")]


def business_access(
    business_id: BusinessId, principal: CurrentPrincipal, runtime: RuntimeDep
) -> Access:
    try:
        return runtime.tenancy.access(principal.user_id, business_id)
    except NotFound:
        raise ApiError(404, "no such business") from None


BusinessAccess = Annotated[Access, Depends(business_access)]


def client_ip(request: Request, runtime: RuntimeDep) -> str | None:
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
