"""The server the wire tests talk to, in its own process (its memory and its log are its own):

    python -m tests.web.serve_for_tests --fd N [--app echo|vaultra] [--header-timeout S] ...

The test binds the listening socket (127.0.0.1, a free port) and passes it down as fd N, so the
port is known before the server starts and nothing else can take it. `echo` is a bare ASGI app
behind BodyLimits, answering how many body bytes it was given; `vaultra` is the local stack's
app (vaultra.web.app), configured from the environment as `vaultra serve` would be.
"""

from __future__ import annotations

import argparse
import json
import socket
from typing import Any

import uvicorn
from vaultra.logs import configure_logging
from vaultra.web.limits import BodyLimits
from vaultra.web.server import build_config


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    payload = json.dumps({"method": scope["method"], "received": len(body)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--app", choices=["echo", "vaultra"], default="echo")
    parser.add_argument("--header-timeout", type=float, default=10.0)
    parser.add_argument("--read-timeout", type=float, default=10.0)
    parser.add_argument("--max-body", type=int, default=1024 * 1024)
    parser.add_argument("--keep-alive", type=int, default=5)
    parser.add_argument("--limit-concurrency", type=int, default=100)
    args = parser.parse_args()

    configure_logging("WARNING")  # as the CLI does for `vaultra serve`
    if args.app == "echo":
        app: Any = BodyLimits(echo, args.max_body, args.read_timeout)
        lifespan = "off"
    else:
        from vaultra.bootstrap import get_runtime
        from vaultra.web.app import create_app

        app, lifespan = create_app(get_runtime()), "auto"
    config = build_config(
        app,
        header_timeout_s=args.header_timeout,
        keep_alive_s=args.keep_alive,
        limit_concurrency=args.limit_concurrency,
        lifespan=lifespan,
    )
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=args.fd)])


if __name__ == "__main__":
    main()
