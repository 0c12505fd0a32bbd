"""What a request body may cost before the app sees it: a pure ASGI middleware.

Unsigned input must cost nothing, and a body is only verified once it has been read. So, for the
requests it applies to, `BodyLimits`:

- answers 413 at once when `Content-Length` exceeds the cap, and 400 when it is not a non-negative
  integer (RFC 9112 §6.3) — without reading a byte of the body;
- stops reading and answers 413 as soon as a body without a length (chunked) passes the cap;
- answers 408 when the body is not complete within `read_timeout_s` of the headers (a client
  sending one byte a second);
- logs one line, and answers nothing, when the client goes away mid-upload.

Refusals are RFC 9457 problems (`application/problem+json`), like every error of the API.

Each refusal closes the connection (`Connection: close`): the rest of a refused body is never
read. The app below receives the whole body in one `http.request` message, at most
`max_body_bytes` long. Request line and headers are bounded by the server (vaultra.web.server).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaultra.api.problems import TITLES

# Stripe's events are far smaller than this: a larger body is not a Stripe delivery.
STRIPE_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_READ_TIMEOUT_S = 10.0
LIMITED_METHODS = frozenset({"POST", "PUT", "PATCH"})

log = logging.getLogger(__name__)


class _Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Abandoned(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class BodyLimits:
    """Caps the body of the requests whose method is in `methods` and whose path starts with one of
    `path_prefixes` (every path when None); other requests pass through untouched."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = STRIPE_MAX_BODY_BYTES,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        *,
        path_prefixes: Iterable[str] | None = None,
        methods: Iterable[str] = LIMITED_METHODS,
    ) -> None:
        if max_body_bytes < 0 or read_timeout_s <= 0:
            raise ValueError("max_body_bytes must be >= 0 and read_timeout_s > 0")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.read_timeout_s = read_timeout_s
        self.path_prefixes = tuple(path_prefixes) if path_prefixes is not None else None
        self.methods = frozenset(m.upper() for m in methods)

    def applies_to(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] in self.methods
            and (
                self.path_prefixes is None
                or any(scope["path"].startswith(p) for p in self.path_prefixes)
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.applies_to(scope):
            await self.app(scope, receive, send)
            return
        try:
            self._check_declared_length(scope)
            async with asyncio.timeout(self.read_timeout_s):
                body = await self._read(receive)
        except _Refusal as refusal:
            log.warning("refused %s: %s", _describe(scope), refusal.detail)
            await _answer(send, refusal.status, refusal.detail)
            return
        except TimeoutError:
            detail = f"request body not received within {self.read_timeout_s:g} s"
            log.warning("refused %s: %s", _describe(scope), detail)
            await _answer(send, 408, detail)
            return
        except _Abandoned as abandoned:
            log.warning(
                "client abandoned %s after %d body bytes", _describe(scope), abandoned.received
            )
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_declared_length(self, scope: Scope) -> None:
        values = [v for k, v in scope["headers"] if k.lower() == b"content-length"]
        if not values:
            return
        # Digits only: int() would also take "+5", " 5", "5_0" and "-0".
        if len(set(values)) != 1 or not values[0].isdigit():
            raise _Refusal(400, "invalid Content-Length")
        if int(values[0]) > self.max_body_bytes:
            raise _Refusal(413, f"request body exceeds {self.max_body_bytes} bytes")

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Abandoned(received)
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_bytes:
                raise _Refusal(413, f"request body exceeds {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The app's `receive`: the whole body once, then whatever the server says (a disconnect)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _answer(send: Send, status: int, detail: str) -> None:
    # An RFC 9457 problem, as the API answers every refusal: a client reads one shape of error.
    problem = {"type": "about:blank", "title": TITLES[status], "status": status}
    body = json.dumps({**problem, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _describe(scope: Scope) -> str:
    """Method, path (cut short: it is the caller's input) and client address, for one log line."""
    client = scope.get("client")
    path = scope["path"] if len(scope["path"]) <= 80 else scope["path"][:80] + "…"
    return f"{scope['method']} {path!r} from {client[0] if client else 'unknown'}"
