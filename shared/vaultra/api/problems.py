"""Errors as RFC 9457 problem details (`application/problem+json`), the same shape for every
status, and the `responses` documentation each route declares for the statuses it can answer."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://vaultra.dev/problems/"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    431: "Request headers too large",
    500: "Internal error",
    503: "Temporarily unavailable",
}


class FieldError(BaseModel):
    location: str = Field(description="Where: `body.email`, `query.limit`, `path.business_id`.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="A short, human-readable summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What went wrong in this occurrence.")
    instance: str | None = Field(None, description="The request path.")
    errors: list[FieldError] | None = Field(None, description="Each invalid field (422).")


class ApiError(Exception):
    """Raised by routes and dependencies; answered as a problem."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or TITLES.get(status, "Error"))
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}


def problem(
    status: int,
    detail: str | None,
    *,
    instance: str | None,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + kind if kind else "about:blank",
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(
        exc.status, exc.detail, instance=request.url.path, kind=exc.kind, headers=exc.headers
    )


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(
        exc.status_code, detail, instance=request.url.path, headers=dict(exc.headers or {})
    )


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            location=".".join(str(part) for part in error.get("loc", ())),
            # pydantic's message, never the input (it may be a password or megabytes long)
            message=str(error.get("msg", "invalid"))[:300],
        )
        for error in exc.errors()
    ]
    return problem(422, "the request is not valid", instance=request.url.path, errors=errors)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented problem answers of a route (every status it can answer is in its schema)."""
    return {
        status: {
            "description": TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
