"""The HTTP server of `vaultra serve`: uvicorn (h11), with the bounds it lacks out of the box.

uvicorn bounds the idle time between two requests of a connection (`timeout_keep_alive`), but
nothing bounds the time a request takes to arrive: the keep-alive timer is not armed on a new
connection and is cancelled by any byte received, so a client that connects and sends nothing, or
sends its headers one byte a second, holds a connection for ever (checked in uvicorn 0.54's
source; `--timeout-request-start` was proposed in uvicorn issue #157 and never added). Nor is the
size of a request head quite bounded: h11's `max_incomplete_event_size` only refuses a head still
incomplete after a read, so one arriving whole in one read (up to asyncio's 256 KiB) passes.
`HeaderDeadlineH11Protocol` adds both bounds; the body's deadline and size are
vaultra.web.limits.BodyLimits's, which can answer with a proper response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from vaultra.api.problems import TITLES
from vaultra.web import heap

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_HEADER_BYTES = 16 * 1024  # request line and headers together (h11's default, made explicit)
LIMIT_CONCURRENCY = 100  # connections + requests in flight; beyond it uvicorn answers 503
GRACEFUL_SHUTDOWN_S = 10  # then requests still in flight are cancelled

log = logging.getLogger(__name__)

_HEAD_END = re.compile(b"\n\r?\n")  # as h11 finds it


def _plain_response(status: str, error: str) -> bytes:
    """A whole response, written as bytes: h11 frames none before it has parsed a request."""
    code = int(status.split(" ", 1)[0])
    problem = {"type": "about:blank", "title": TITLES[code], "status": code, "detail": error}
    body = json.dumps(problem).encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


_REQUEST_TIMEOUT = _plain_response("408 Request Timeout", "request headers not received in time")
_HEAD_TOO_LARGE = _plain_response(
    "431 Request Header Fields Too Large", "request line and headers too large"
)


class HeaderDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's line and headers, and a cap on
    their size.

    The deadline is armed when the connection opens and when the first byte of a later request
    arrives on it; cancelled once h11 has parsed the request's headers. When it fires, the
    connection is closed: after a 408 and one log line if part of a request had arrived, silently
    if nothing had (an idle pre-opened connection, as browsers keep). A head longer than the
    config's `h11_max_incomplete_event_size` is answered 431 and closed, whole or not. A response
    sent before the request's body was all received closes the connection. Use
    `header_deadline_protocol()` for another deadline than HEADER_TIMEOUT_S.
    """

    header_timeout_s: float = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # a request head is arriving
            if self._header_deadline is None:
                self._arm()  # the first byte of a next request on a kept-alive connection
            if self._head_too_large(data):
                self._refuse(_HEAD_TOO_LARGE, "request line and headers too large")
                return
        super().data_received(data)
        self._disarm_once_headers_parsed()

    def on_response_complete(self) -> None:
        if self.conn.their_state is h11.SEND_BODY:
            # Answered before the body was all received: no one will read the rest (uvicorn would
            # go on reading and dropping it, each byte putting off its keep-alive timeout).
            self.transport.close()
        super().on_response_complete()
        # The next request may have been pipelined: parsed by now, or partly buffered.
        idle = self.conn.their_state is h11.IDLE
        if idle and self.conn.trailing_data[0] and self._header_deadline is None:
            self._arm()
        self._disarm_once_headers_parsed()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _disarm_once_headers_parsed(self) -> None:
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def _head_too_large(self, data: bytes) -> bool:
        cap = self.config.h11_max_incomplete_event_size or MAX_HEADER_BYTES
        head = self.conn.trailing_data[0] + data[: cap + 2]
        end = _HEAD_END.search(head)
        return (end.end() if end else len(head)) > cap

    def _expire(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # a request had begun
            self._refuse(
                _REQUEST_TIMEOUT, f"request headers not received within {self.header_timeout_s:g} s"
            )
        else:
            self.transport.close()

    def _refuse(self, response: bytes, reason: str) -> None:
        log.warning(
            "closed a connection from %s: %s", self.client[0] if self.client else "unknown", reason
        )
        self._disarm()
        self.transport.write(response)
        self.transport.close()


def header_deadline_protocol(header_timeout_s: float) -> type[HeaderDeadlineH11Protocol]:
    """The protocol class to pass as uvicorn's `http=`, with this header deadline."""
    if header_timeout_s <= 0:
        raise ValueError("header_timeout_s must be > 0")
    return type(
        "HeaderDeadlineH11Protocol",
        (HeaderDeadlineH11Protocol,),
        {"header_timeout_s": header_timeout_s},
    )


def build_config(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
    max_header_bytes: int = MAX_HEADER_BYTES,
    limit_concurrency: int | None = LIMIT_CONCURRENCY,
    graceful_shutdown_s: int | None = GRACEFUL_SHUTDOWN_S,
    log_level: str = "warning",
    **options: Any,
) -> uvicorn.Config:
    """A uvicorn.Config with every bound set; `options` are passed on to uvicorn.Config."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=header_deadline_protocol(header_timeout_s),
        h11_max_incomplete_event_size=max_header_bytes,
        timeout_keep_alive=keep_alive_s,
        limit_concurrency=limit_concurrency,
        timeout_graceful_shutdown=graceful_shutdown_s,
        log_level=log_level,
        **options,
    )


def run(app: Any, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Serve `app` until interrupted; `options` as build_config's."""
    heap.settle()
    uvicorn.Server(build_config(app, host, port, **options)).run()
