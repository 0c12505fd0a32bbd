"""The one wrapper every Cloud Function goes through: decode → dispatch → acknowledge or raise.

Each `functions/<name>/main.py` is a single line that names its function here. At import (an
instance starting) the wrapper refuses to start when a deployed runtime lacks a setting it needs;
per message it decodes, dispatches to the handler of `vaultra.handlers.FUNCTIONS`, and maps the
outcome to Pub/Sub's two answers: return (acknowledge) or raise (deliver again).

- An undecodable message is acknowledged: retrying cannot fix it.
- `Retry` and `DatabaseUnavailable` are expected: one log line, and a 503 raised as an HTTP error
  (Flask answers it without a traceback; Pub/Sub retries any non-2xx).
- Anything else raises with its traceback: a bug, retried until it dead-letters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import functions_framework
import functions_framework.aio
from cloudevents.http import CloudEvent
from flask import Request
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from werkzeug.exceptions import ServiceUnavailable

from vaultra.api.app import create_api
from vaultra.bootstrap import get_runtime
from vaultra.config import check_deployment, get_settings
from vaultra.errors import DatabaseUnavailable
from vaultra.events.cloudevent import decode_cloud_event_as_one_of, read_dead_letter
from vaultra.events.messages import InvalidMessage
from vaultra.handlers import (
    AGENT,
    AGENT_NEEDS,
    API,
    API_NEEDS,
    DEAD_LETTER_NEEDS,
    DEAD_LETTERS,
    FUNCTIONS,
    WEBHOOK,
    WEBHOOK_NEEDS,
    Retry,
    dead_letter,
)
from vaultra.health import HEALTH_PATHS
from vaultra.logs import configure_logging
from vaultra.web import heap
from vaultra.web.limits import STRIPE_MAX_BODY_BYTES, BodyLimits
from vaultra.web.mcp import create_agent_app
from vaultra.web.wsgi_body import BodyRejected, discard_body, read_body

log = logging.getLogger("vaultra.functions")

CloudEventHandler = Callable[[CloudEvent], None]


def _named(name: str, handler: CloudEventHandler) -> CloudEventHandler:
    handler.__name__ = handler.__qualname__ = name
    # functions-framework registers a function's signature type under its __name__.
    wrapped: CloudEventHandler = functions_framework.cloud_event(handler)
    return wrapped


def cloud_event_handler(name: str) -> CloudEventHandler:
    """The handler of Pub/Sub-triggered function `name` (no start-up check: the local stack)."""
    function = FUNCTIONS[name]
    function_log = logging.getLogger(f"vaultra.functions.{name}")

    def handle(cloud_event: CloudEvent) -> None:
        configure_logging()
        try:
            received = decode_cloud_event_as_one_of(cloud_event, function.messages)
        except InvalidMessage as exc:
            function_log.error("acknowledging an undecodable message: %s", exc)
            return
        try:
            function.handle(get_runtime(), received)
        except (Retry, DatabaseUnavailable) as exc:
            function_log.warning("message %s will be retried: %s", received.message_id, exc)
            raise ServiceUnavailable(description=str(exc)) from exc

    return _named(name, handle)


def cloud_event_function(name: str) -> CloudEventHandler:
    """What `functions/<name>/main.py` exports: the handler, after the deployment check."""
    check_deployment(get_settings(), FUNCTIONS[name].needs, name)
    return cloud_event_handler(name)


def dead_letter_handler() -> CloudEventHandler:
    """The handler every dead-letter topic triggers: record the letter, by ids only."""

    def handle(cloud_event: CloudEvent) -> None:
        configure_logging()
        dead_letter(get_runtime(), read_dead_letter(cloud_event))

    return _named(DEAD_LETTERS, handle)


def dead_letter_function() -> CloudEventHandler:
    check_deployment(get_settings(), DEAD_LETTER_NEEDS, DEAD_LETTERS)
    return dead_letter_handler()


# --- HTTP: the Stripe webhook -------------------------------------------------------------------


def _json(body: dict[str, Any], status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


def webhook_handler() -> Callable[[Request], tuple[str, int, dict[str, str]]]:
    """The Stripe webhook over HTTP (no start-up check): health probes on GET, events on POST."""

    webhook_log = logging.getLogger(f"vaultra.functions.{WEBHOOK}")

    def handle(request: Request) -> tuple[str, int, dict[str, str]]:
        configure_logging()
        runtime = get_runtime()
        if request.method == "GET" and request.path.rstrip("/").endswith(HEALTH_PATHS):
            discard_body(request)
            report = runtime.health(ready=request.path.rstrip("/").endswith("/readyz"))
            return _json(report.body(), report.status_code)
        if request.method != "POST":
            discard_body(request)  # or functions-framework reads it whole, however large
            return _json({"error": "use POST"}, 405)
        # The body is capped before it is read (a 10^20 Content-Length is refused at once), and a
        # refused one is left unread. A client trickling it is bounded by the function's
        # `timeout`: see vaultra.web.wsgi_body.
        try:
            body = read_body(request, STRIPE_MAX_BODY_BYTES)
        except BodyRejected as exc:
            webhook_log.warning("refused a webhook delivery: %s", exc.detail)
            return _json({"error": exc.detail}, exc.status)
        response = runtime.webhook.receive(body, request.headers.get("Stripe-Signature"))
        return _json(response.body, response.status_code)

    handle.__name__ = handle.__qualname__ = WEBHOOK
    functions_framework.http(handle)  # registers the signature type; returns a plain wrapper
    return handle


def webhook_function() -> Callable[[Request], tuple[str, int, dict[str, str]]]:
    """What `functions/stripe_webhook/main.py` exports, after the deployment check."""
    check_deployment(get_settings(), WEBHOOK_NEEDS, WEBHOOK)
    return webhook_handler()


# --- HTTP (ASGI): the API ---------------------------------------------------------------------


class _ToApi(Response):
    """Hands the request, as functions-framework's ASGI server received it, to the API app, which
    answers on the same connection: one event loop, no WSGI bridge, streaming intact."""

    def __init__(self, app: ASGIApp, request: StarletteRequest) -> None:
        # Not Response's own __init__: this answer is the API app's, sent in __call__.
        self._app = app
        self._scope = {
            k: v for k, v in request.scope.items() if k not in ("path_params", "endpoint", "route")
        }
        self._receive = request.receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(self._scope, self._receive, send)


def api_handler() -> Callable[[StarletteRequest], Awaitable[Response]]:
    """The API as an HTTP function of functions-framework's ASGI mode (no start-up check)."""
    app: ASGIApp | None = None

    async def handle(request: StarletteRequest) -> Response:
        nonlocal app
        if app is None:
            configure_logging()
            app = BodyLimits(create_api(get_runtime()))
            heap.settle()
        return _ToApi(app, request)

    handle.__name__ = handle.__qualname__ = API
    functions_framework.aio.http(handle)  # registers it as an ASGI HTTP function
    return handle


def api_function() -> Callable[[StarletteRequest], Awaitable[Response]]:
    """What `functions/api/main.py` exports, after the deployment check."""
    check_deployment(get_settings(), API_NEEDS, API)
    return api_handler()


def agent_app() -> ASGIApp:
    """What `agent_service/main.py` serves (uvicorn on Cloud Run): MCP at /mcp and the probes,
    after the deployment check."""
    check_deployment(get_settings(), AGENT_NEEDS, AGENT)
    configure_logging()
    return BodyLimits(create_agent_app(get_runtime()))
