"""The local stack in one ASGI app (`vaultra serve`): the Stripe webhook at POST /stripe/webhook.

Later steps mount the REST API under /api/v1, MCP at /mcp and the dashboard at /. Production runs
each surface as its own function or service; here they share one process and one engine.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from vaultra.bootstrap import get_engine
from vaultra.config import Settings
from vaultra.events.publisher import build_publisher
from vaultra.services.webhook import WebhookReceiver
from vaultra.web.limits import BodyLimits

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    receiver = WebhookReceiver(
        get_engine(settings),
        build_publisher(settings),
        settings.webhook_secrets(),
        settings.stripe_webhook_tolerance_s,
    )
    app = FastAPI(title="Vaultra (local)", docs_url=None, redoc_url=None, openapi_url=None)
    # Bodies are capped and timed before any route reads them (a Stripe event is far below 1 MiB).
    app.add_middleware(BodyLimits)

    @app.post("/stripe/webhook", include_in_schema=False)
    async def stripe_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            # The receiver does blocking database work: keep it off the event loop.
            response = await run_in_threadpool(
                receiver.receive, body, request.headers.get("stripe-signature")
            )
        except SQLAlchemyError as exc:
            log.error("database error while storing a Stripe event: %s", type(exc).__name__)
            return JSONResponse({"error": "temporarily unable to store the event; retry"}, 503)
        return JSONResponse(response.body, response.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
