"""Sign-up, sign-in, refresh, sign-out, and who am I.

Signing in answers a short-lived access token in the body and sets the refresh token as a cookie
(`Secure; HttpOnly; SameSite=Strict`, path `/api/v1/auth`): the dashboard, on the API's origin,
never sees it; a script may send it back in the body instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Cookie, Response, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import ClientIp, CurrentPrincipal, RuntimeDep
from vaultra.api.problems import ApiError, responses
from vaultra.services.accounts import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    Session,
)
from vaultra.services.passwords import MAX_LENGTH, WeakPassword
from vaultra.services.rate_limits import LOGIN, SIGNUP

router = APIRouter(tags=["auth"])

REFRESH_COOKIE = "vaultra_refresh"
COOKIE_PATH = "/api/v1/auth"


class Credentials(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "founder@example.com", "password": "a long passphrase"}]
        },
    )
    email: str = Field(min_length=3, max_length=320, description="The account's email address.")
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class UserPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f3f0e-8a2c-4c53-9d0f-2a8b1c7d9e11",
                    "email": "founder@example.com",
                    "created_at": "2026-11-29T10:00:00Z",
                    "email_verified": False,
                }
            ]
        }
    )
    id: uuid.UUID
    email: str
    created_at: datetime
    email_verified: bool


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"access_token": "eyJhbGciOi…", "token_type": "bearer", "expires_in": 900}]
        }
    )
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str | None = Field(
        None, max_length=200, description="For scripts; the dashboard's cookie is used otherwise."
    )


def answer_session(response: Response, session: Session) -> TokenResponse:
    """A new session's answer: the access token in the body, the refresh token in a cookie the
    dashboard's scripts never see (shared with the password change, which starts one too)."""
    response.set_cookie(
        REFRESH_COOKIE,
        session.refresh_token,
        expires=session.refresh_expires_at,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(access_token=session.access_token, expires_in=session.expires_in)


def user_public(
    user_id: uuid.UUID, email: str, created_at: datetime, verified: datetime | None
) -> UserPublic:
    return UserPublic(
        id=user_id, email=email, created_at=created_at, email_verified=verified is not None
    )


@router.post(
    "/auth/signup",
    operation_id="signUp",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=responses(409, 422, 429),
    summary="Create an account",
)
def sign_up(body: Credentials, runtime: RuntimeDep, ip: ClientIp) -> UserPublic:
    """Create an account; signing in works at once. A link to verify the address is mailed.
    Every account made counts against the caller's address, a taken address against that
    account (429 past the limits)."""
    limits = runtime.rate_limits
    attempt = limits.attempt(SIGNUP, ip=ip, account=body.email)
    limits.check(attempt)
    try:
        user = runtime.accounts.sign_up(body.email, body.password, ip=ip)
    except (InvalidEmail, WeakPassword) as exc:
        raise ApiError(422, str(exc), kind="invalid-credentials") from None
    except EmailTaken:
        limits.failed(attempt)
        raise ApiError(
            409, "an account with this email address exists", kind="email-taken"
        ) from None
    limits.failed(limits.attempt(SIGNUP, ip=ip))
    runtime.email_verification.send(user.id)
    return user_public(user.id, user.email, user.created_at, user.email_verified_at)


@router.post(
    "/auth/login",
    operation_id="logIn",
    response_model=TokenResponse,
    responses=responses(401, 422, 429),
    summary="Sign in",
)
def log_in(
    body: Credentials, response: Response, runtime: RuntimeDep, ip: ClientIp
) -> TokenResponse:
    """An access token (and the refresh cookie) for a right address and password. Wrong ones
    count against the account and the caller's address (429 past the limits); a success clears
    the account's count."""
    limits = runtime.rate_limits
    attempt = limits.attempt(LOGIN, ip=ip, account=body.email)
    limits.check(attempt)
    try:
        session = runtime.accounts.sign_in(body.email, body.password, ip=ip)
    except InvalidCredentials:
        limits.failed(attempt)
        raise ApiError(401, "wrong email address or password", kind="invalid-credentials") from None
    limits.succeeded(attempt)
    return answer_session(response, session)


@router.post(
    "/auth/refresh",
    operation_id="refreshSession",
    response_model=TokenResponse,
    responses=responses(401, 422, 429),
    summary="Renew the access token",
)
def refresh(
    response: Response,
    runtime: RuntimeDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE, max_length=200)] = None,
) -> TokenResponse:
    """A new access token for the refresh token, which is rotated; a refresh token used twice
    revokes the session."""
    token = (body.refresh_token if body else None) or cookie
    if not token:
        raise ApiError(401, "no refresh token", kind="invalid-refresh-token")
    try:
        session = runtime.accounts.refresh(token)
    except InvalidRefreshToken:
        response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
        raise ApiError(
            401, "the session has ended; sign in again", kind="invalid-refresh-token"
        ) from None
    return answer_session(response, session)


@router.post(
    "/auth/logout",
    operation_id="logOut",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(422),
    summary="Sign out",
)
def log_out(
    runtime: RuntimeDep,
    ip: ClientIp,
    body: Annotated[RefreshRequest | None, Body()] = None,
    cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE, max_length=200)] = None,
) -> Response:
    """End the session: its refresh token, and every one rotated from it, are revoked."""
    token = (body.refresh_token if body else None) or cookie
    if token:
        runtime.accounts.sign_out(token, ip=ip)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        REFRESH_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="strict"
    )
    return response


@router.get(
    "/me",
    operation_id="getMe",
    response_model=UserPublic,
    responses=responses(401),
    summary="Who am I",
    tags=["me"],
)
def me(principal: CurrentPrincipal, runtime: RuntimeDep) -> UserPublic:
    user = runtime.accounts.user(principal.user_id)
    if user is None:
        raise ApiError(401, "the account no longer exists")
    return user_public(user.id, user.email, user.created_at, user.email_verified_at)
