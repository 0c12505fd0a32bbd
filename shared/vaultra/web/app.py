"""The local stack in one ASGI app (`vaultra serve`): the API under /api/v1, the Stripe webhook
at POST /stripe/webhook, liveness at /healthz and readiness at /readyz.

MCP is served at /mcp (`vaultra.web.mcp`), and the built dashboard at / (`vaultra.web.site`). Production runs each surface as its own
function or service behind one load balancer (one origin); here they share one process and one
runtime.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vaultra.api.app import create_api
from vaultra.bootstrap import Runtime
from vaultra.web.limits import BodyLimits
from vaultra.web.mcp import mount_mcp
from vaultra.web.site import WithSite, built_site

log = logging.getLogger(__name__)


def create_app(runtime: Runtime) -> FastAPI:
    receiver = runtime.webhook
    app = create_api(runtime)
    mount_mcp(app, runtime)
    site = built_site(runtime.settings.site_dir)
    if site is not None:  # the dashboard, once `make site` has built it
        app.add_middleware(WithSite, site=site)
    # Outermost: bodies are capped and timed before anything reads them (a Stripe event is far
    # below 1 MiB), the site's requests included.
    app.add_middleware(BodyLimits)

    @app.post("/stripe/webhook", include_in_schema=False)
    async def stripe_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        # The receiver does blocking database work: keep it off the event loop.
        response = await run_in_threadpool(
            receiver.receive, body, request.headers.get("stripe-signature")
        )
        return JSONResponse(response.body, response.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        report = runtime.health(ready=False)
        return JSONResponse(report.body(), report.status_code)

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        report = runtime.health(ready=True)
        return JSONResponse(report.body(), report.status_code)

    return app
