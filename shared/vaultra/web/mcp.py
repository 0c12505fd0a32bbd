"""MCP over streamable HTTP at /mcp, for `vaultra serve` and the agent service.

The transport is stateless (no session kept between requests, answers as JSON), so any instance
of a scaled-out Cloud Run service can answer any request. DNS rebinding is refused by the Host and
Origin headers: our own public origin, and loopback for local clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vaultra.bootstrap import Runtime
from vaultra.services.agent_mcp import MCP_PATH

__all__ = ["MCP_PATH", "create_agent_app", "mcp_app", "mount_mcp"]


def mcp_app(runtime: Runtime) -> tuple[Starlette, StreamableHTTPSessionManager]:
    """The app serving `MCP_PATH` and its protected-resource metadata, and its session manager,
    which the host must run (`async with manager.run()`) for the app's lifetime."""
    public = runtime.settings.public_url
    app = runtime.mcp.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[urlsplit(public).netloc, "127.0.0.1:*", "localhost:*"],
            allowed_origins=[public, "http://127.0.0.1:*", "http://localhost:*"],
        ),
    )
    return app, runtime.mcp.session_manager  # this app's own: each call makes a new one


def mount_mcp(app: Starlette, runtime: Runtime) -> None:
    """MCP at /mcp (and its protected-resource metadata under /.well-known) in `app`. Each of its
    paths is routed to the MCP app whole, so its own middleware (the bearer check) runs; its
    session manager runs for the host app's lifetime."""
    mcp, sessions = mcp_app(runtime)
    for route in mcp.routes:
        app.router.routes.append(Route(route.path, endpoint=mcp))  # type: ignore[attr-defined]
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(host: Any) -> AsyncIterator[None]:
        async with sessions.run(), outer(host):
            yield

    app.router.lifespan_context = lifespan


def create_agent_app(runtime: Runtime) -> Starlette:
    """The agent service on Cloud Run: MCP at /mcp, with the probes; nothing else."""

    def probe(ready: bool) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def answer(_: Request) -> JSONResponse:
            report = await run_in_threadpool(runtime.health, ready=ready)
            return JSONResponse(report.body(), report.status_code)

        return answer

    app = Starlette(routes=[Route("/healthz", probe(False)), Route("/readyz", probe(True))])
    mount_mcp(app, runtime)
    return app
