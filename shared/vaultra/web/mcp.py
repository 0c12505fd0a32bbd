"""MCP over streamable HTTP at /mcp, for `vaultra serve` and the agent service.

The transport is stateless (no session kept between requests, answers as JSON), so any instance
of a scaled-out Cloud Run service can answer any request. DNS rebinding is refused by the Host and
Origin headers: our own public origin, and loopback for local clients.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from vaultra.bootstrap import Runtime
from vaultra.services.agent_mcp import MCP_PATH

__all__ = ["MCP_PATH", "mcp_app"]


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
