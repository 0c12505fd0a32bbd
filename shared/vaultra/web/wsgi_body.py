"""Read a WSGI request's body (Flask, functions-framework) within a cap, never past it.

`read_body` checks the declared `Content-Length` first (a 10^20 is refused before a byte is read),
then reads the stream in bounded chunks, stopping one byte past the cap (a chunked body declares no
length). What the body holds is not its business: a body that is not UTF-8 is refused by the
signature check (vaultra.stripe.signature), with a 400 and a short reason.

What is left of a refused body must not be read by anyone else either: functions-framework's
after-request hook (`read_request`) calls `request.get_data()` before every non-streamed response,
"to avoid connection errors when returning prematurely", which reads the whole rest into memory
(200 MB) or, with a 10^20 `Content-Length`, waits for it for ever. `discard_body` leaves that hook
nothing to read; gunicorn then drains at most 64 KiB of the rest, for at most 5 s, and closes.

Slow clients. gunicorn, which functions-framework runs in production, reads request heads and
bodies with blocking reads and no deadline, and its worker `timeout` is a heartbeat of the worker
process, not a bound on one connection (its gthread worker only waits 5 s for a connection's
first byte before parking it). On Google's runtime (Cloud Run functions) the bound is the
platform's: the function's `timeout` (`gcloud functions deploy --timeout`; 60 s by default, at
most 3600 s for HTTP functions) is Cloud Run's request timeout, after which Cloud Run answers 504
and closes the connection to the instance, which ends a blocked read here. Keep it short (a
webhook needs seconds) so that a trickling client holds one of the instance's threads briefly.
"""

from __future__ import annotations

import io
from typing import IO

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request

from vaultra.web.limits import STRIPE_MAX_BODY_BYTES

_CHUNK_BYTES = 64 * 1024


class BodyRejected(Exception):
    """The body was not read. `status` is the HTTP status to answer, `detail` a short reason."""

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BodyTooLarge(BodyRejected):
    status = 413


class BodyIncomplete(BodyRejected):
    """The body could not be read to its end: the client went away, or its framing is broken."""

    status = 400


def read_body(request: Request, max_bytes: int = STRIPE_MAX_BODY_BYTES) -> bytes:
    """The whole body, at most `max_bytes` long; raises BodyTooLarge (413) having read at most
    `max_bytes` + 1 bytes, or BodyIncomplete (400) when the stream fails before its end."""
    try:
        return _read_capped(request, max_bytes)
    except BodyRejected:
        discard_body(request)
        raise


def discard_body(request: Request) -> None:
    """Leaves nothing of the body to read for whoever comes next (see the module's doc)."""
    request.stream = io.BytesIO()  # werkzeug's cached_property: this sets the cached value


def _read_capped(request: Request, max_bytes: int) -> bytes:
    too_large = f"request body exceeds {max_bytes} bytes"
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise BodyTooLarge(too_large)
    stream = request.stream
    chunks: list[bytes] = []
    received = 0
    while chunk := _read(stream, min(_CHUNK_BYTES, max_bytes + 1 - received), received):
        received += len(chunk)
        if received > max_bytes:
            raise BodyTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _read(stream: IO[bytes], size: int, received: int) -> bytes:
    try:
        return stream.read(size)
    except (ClientDisconnected, OSError) as exc:  # werkzeug's short read; a reset; gunicorn's EOF
        raise BodyIncomplete(f"client disconnected after {received} body bytes") from exc
    except Exception as exc:  # the server's parser (a malformed chunk, for one): the client's fault
        raise BodyIncomplete(f"unreadable request body ({type(exc).__name__})") from exc
