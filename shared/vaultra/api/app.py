"""The API application: routers under /api/v1, problem details for every error, security headers
on every answer, and a CORS allow-list for development origins only."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaultra.api.problems import (
    ApiError,
    FieldError,
    Problem,
    on_api_error,
    on_http_error,
    on_validation_error,
    responses,
)
from vaultra.api.routers import ROUTERS
from vaultra.api.service_errors import register_service_errors
from vaultra.bootstrap import Runtime

PREFIX = "/api/v1"
VERSION = "1.0.0"

# FastAPI runs every plain `def` route and dependency in anyio's worker threads: 40 by default.
# The API's work there is Python holding the interpreter lock, with short waits on PostgreSQL, so
# beyond a few threads they only take turns on the lock, each turn costing CPU; and threads beyond
# the engine's pool (`vaultra.db.engine.POOL_SIZE`) open overflow connections that are closed when
# returned, one new PostgreSQL backend per request. A request waiting for a thread waits on the
# event loop for nothing. Measured in docs/BENCHMARKS.md (API): the summary at 50 clients went
# from 225 requests/s with 40 threads to about 900 with 2 to 5.
WORKER_THREADS = 4

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


class SecurityHeaders:
    """Adds the headers every API answer carries (and HSTS when deployed behind HTTPS); answers
    are private data, so nothing is cached unless a route says otherwise."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.extra = [*_HEADERS]
        if hsts:
            self.extra.append(
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.extra if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WorkerThreads:
    """Sizes the event loop's worker threads to WORKER_THREADS. anyio keeps the limit per event
    loop, and functions-framework's ASGI mode runs no lifespan, so it is set at the first request
    the loop serves (an attribute compared on the next ones)."""

    def __init__(self, app: ASGIApp, *, threads: int = WORKER_THREADS) -> None:
        self.app = app
        self.threads = threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter.total_tokens != self.threads:
            limiter.total_tokens = self.threads
        await self.app(scope, receive, send)


def create_api(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Vaultra API",
        version=VERSION,
        description="Funding readiness from a founder's Stripe history. Money is in minor units of "
        "the currency beside it; errors are RFC 9457 problem details.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    register_service_errors(app)
    if runtime.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=runtime.settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(SecurityHeaders, hsts=runtime.settings.deployed)
    app.add_middleware(WorkerThreads)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the problem schemas every error answer refers to."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldError):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = model_schema
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    _document_body_errors(schema)
    app.openapi_schema = schema
    return schema


def _document_body_errors(schema: dict[str, Any]) -> None:
    """Every operation that takes a body can answer 400 (not JSON) and 413 (over the size cap,
    refused before it is read): documented once here rather than on each route."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if "requestBody" in operation:
                for status, answer in responses(400, 413).items():
                    operation["responses"].setdefault(str(status), answer)
