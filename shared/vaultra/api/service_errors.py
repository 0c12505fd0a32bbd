"""Errors any service may raise, answered the same way on every route that lets them through:

- `RateLimited` → 429 with `Retry-After` (seconds);
- `EmailNotVerified` → 403 with kind `email-not-verified`: a route that needs a verified address
  (connecting Stripe, inviting a member, sharing) calls
  `runtime.email_verification.require_verified(user_id)` and documents 403.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from vaultra.api.problems import problem
from vaultra.services.email_verification import EmailNotVerified
from vaultra.services.rate_limits import RateLimited


async def on_rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return problem(
        429,
        str(exc),
        instance=request.url.path,
        kind="rate-limited",
        headers={"Retry-After": str(exc.retry_after)},
    )


async def on_email_not_verified(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmailNotVerified)
    return problem(403, str(exc), instance=request.url.path, kind="email-not-verified")


def register_service_errors(app: FastAPI) -> None:
    app.add_exception_handler(RateLimited, on_rate_limited)
    app.add_exception_handler(EmailNotVerified, on_email_not_verified)
