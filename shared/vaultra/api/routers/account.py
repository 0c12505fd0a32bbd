"""Proving an address, and passwords: verify the email address (and ask for the mail again),
change the password, reset a forgotten one.

The mailed links carry their token in the fragment; the dashboard posts it here. Tokens are single
use and expire (verification 24 h, reset 1 h). A link that does not work answers 400 with kind
`invalid-token` — unknown, used, expired or superseded alike.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import ClientIp, RuntimeDep, Writer
from vaultra.api.problems import ApiError, responses
from vaultra.api.routers.auth import TokenResponse, UserPublic, answer_session, user_public
from vaultra.services.accounts import MAX_EMAIL, WrongPassword
from vaultra.services.email_verification import AlreadyVerified
from vaultra.services.mailed_tokens import InvalidMailedToken
from vaultra.services.passwords import MAX_LENGTH, WeakPassword
from vaultra.services.rate_limits import (
    LINK_TOKEN,
    PASSWORD_CHANGE,
    PASSWORD_RESET,
    VERIFICATION_RESEND,
)

router = APIRouter(tags=["account"])

MAX_TOKEN = 200
_INVALID_LINK = "the link is invalid, used or expired; ask for a new one"


class TokenBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"token": "vlt_ev_3q2-7wR…"}]}
    )
    token: str = Field(min_length=1, max_length=MAX_TOKEN, description="The token from the link.")


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "founder@example.com"}]}
    )
    email: str = Field(min_length=3, max_length=MAX_EMAIL)


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"token": "vlt_pr_Yh8…", "new_password": "another long passphrase"}]
        },
    )
    token: str = Field(min_length=1, max_length=MAX_TOKEN)
    new_password: str = Field(min_length=1, max_length=MAX_LENGTH)


class PasswordChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "current_password": "correct horse battery staple",
                    "new_password": "another long passphrase",
                }
            ]
        },
    )
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_LENGTH)


@router.post(
    "/auth/verify-email",
    operation_id="verifyEmail",
    response_model=UserPublic,
    responses=responses(400, 422, 429),
    summary="Verify the email address",
)
def verify_email(body: TokenBody, runtime: RuntimeDep, ip: ClientIp) -> UserPublic:
    """The account whose address the mailed token proves, now verified. Needs no bearer token:
    the link may be opened on another device than the one signed in."""
    limits = runtime.rate_limits
    attempt = limits.attempt(LINK_TOKEN, ip=ip)
    limits.check(attempt)
    try:
        user = runtime.email_verification.verify(body.token, ip=ip)
    except InvalidMailedToken:
        limits.failed(attempt)
        raise ApiError(400, _INVALID_LINK, kind="invalid-token") from None
    return user_public(user.id, user.email, user.created_at, user.email_verified_at)


@router.post(
    "/auth/verify-email/resend",
    operation_id="resendEmailVerification",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=responses(401, 403, 409, 429),
    summary="Mail the verification link again",
)
def resend_verification(principal: Writer, runtime: RuntimeDep) -> Response:
    """A new link (earlier ones stop working); 409 if the address is verified already."""
    runtime.rate_limits.hit(
        runtime.rate_limits.attempt(VERIFICATION_RESEND, ip=None, account=str(principal.user_id))
    )
    try:
        runtime.email_verification.send(principal.user_id)
    except AlreadyVerified:
        raise ApiError(
            409, "the email address is already verified", kind="already-verified"
        ) from None
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset",
    operation_id="requestPasswordReset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=responses(422, 429),
    summary="Mail a password reset link",
)
def request_password_reset(
    body: PasswordResetRequest, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    """Always 202, whether an account has this address or not (the answer tells nothing); if one
    has, a link valid for one hour is mailed to it. Every request counts against the address and
    the account (429 past the limits)."""
    runtime.rate_limits.hit(runtime.rate_limits.attempt(PASSWORD_RESET, ip=ip, account=body.email))
    runtime.password_reset.request(body.email, ip=ip)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    operation_id="confirmPasswordReset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 422, 429),
    summary="Set a new password with a reset link",
)
def confirm_password_reset(
    body: PasswordResetConfirm, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    """Sets the new password and signs out everywhere: every session, every access token issued
    before, every personal access token. A weak password is refused (422) and leaves the link
    usable."""
    limits = runtime.rate_limits
    attempt = limits.attempt(LINK_TOKEN, ip=ip)
    limits.check(attempt)
    try:
        runtime.password_reset.confirm(body.token, body.new_password, ip=ip)
    except InvalidMailedToken:
        limits.failed(attempt)
        raise ApiError(400, _INVALID_LINK, kind="invalid-token") from None
    except WeakPassword as exc:
        raise ApiError(422, str(exc), kind="weak-password") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/password",
    operation_id="changePassword",
    response_model=TokenResponse,
    responses=responses(401, 403, 422, 429),
    summary="Change the password",
    tags=["me"],
)
def change_password(
    body: PasswordChange, response: Response, principal: Writer, runtime: RuntimeDep, ip: ClientIp
) -> TokenResponse:
    """Every other session ends (its refresh token revoked, its access token refused); the caller
    continues with the new session answered here (and its refresh cookie). A wrong current
    password is 403 (`wrong-password`) and counts against the account (429 past the limit).
    Personal access tokens cannot do this (403)."""
    limits = runtime.rate_limits
    attempt = limits.attempt(PASSWORD_CHANGE, ip=None, account=str(principal.user_id))
    limits.check(attempt)
    try:
        session = runtime.accounts.change_password(
            principal.user_id, body.current_password, body.new_password, ip=ip
        )
    except WrongPassword:
        limits.failed(attempt)
        raise ApiError(403, "the current password is wrong", kind="wrong-password") from None
    except WeakPassword as exc:
        raise ApiError(422, str(exc), kind="weak-password") from None
    limits.succeeded(attempt)
    return answer_session(response, session)
