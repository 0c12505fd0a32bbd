"""BodyLimits: bodies capped and timed before the app sees them.

On the wire (a real uvicorn, built by vaultra.web.server, in its own process, with 1 s deadlines
and a 1 MiB cap, in front of an app that reports the bytes it was given), and in-process for what
h11 never lets through to it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from vaultra.web.limits import STRIPE_MAX_BODY_BYTES, BodyLimits

from tests.web.conftest import DEADLINE_S
from tests.web.wire import (
    MiB,
    ServerProcess,
    Trickle,
    chunked,
    connect,
    flood,
    head,
    peak_rss_mib,
    read_response,
    request,
    seconds_until_closed,
)

CAP = STRIPE_MAX_BODY_BYTES


def assert_still_serving(server: ServerProcess) -> None:
    response = request(server.port, "POST", "/after", b"x" * 1000)
    assert response.status == 200
    assert json.loads(response.body) == {"method": "POST", "received": 1000}


# --- on the wire -------------------------------------------------------------------------------


def test_a_body_within_the_cap_reaches_the_app_whole(echo_server: ServerProcess) -> None:
    for size in (0, 1, CAP):
        response = request(echo_server.port, "POST", "/x", b"x" * size)
        assert response.status == 200 and json.loads(response.body)["received"] == size
    with connect(echo_server.port) as sock:  # chunked, exactly at the cap
        body = b"".join(chunked(b"y" * (64 * 1024)) for _ in range(16)) + b"0\r\n\r\n"
        sock.sendall(head("POST", "/x", [("Transfer-Encoding", "chunked")]) + body)
        assert json.loads(read_response(sock).body)["received"] == CAP


def test_a_declared_200_mb_body_is_refused_before_a_byte_of_it_is_sent(
    echo_server: ServerProcess,
) -> None:
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        sock.sendall(head("POST", "/x", [("Content-Length", str(200 * MiB))]))
        response = read_response(sock)  # nothing of the body has been sent
        closed_after_s, rest = seconds_until_closed(sock, 2.0)

    assert response.status == 413 and response.elapsed_s < 0.5
    assert json.loads(response.body) == {
        "type": "about:blank",
        "title": "Request too large",
        "status": 413,
        "detail": f"request body exceeds {CAP} bytes",
    }
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["connection"] == "close" and rest == b"" and closed_after_s < 0.5
    assert [line for line in echo_server.log.wait_for(1) if "refused POST '/x'" in line]
    assert_still_serving(echo_server)


def test_a_content_length_of_10_to_the_20_is_answered_at_once(echo_server: ServerProcess) -> None:
    """21 digits: h11 refuses the head itself (400, at once); 20 digits reach BodyLimits (413)."""
    for length, status in (("100000000000000000000", 400), ("10000000000000000000", 413)):
        with connect(echo_server.port) as sock:
            sock.sendall(head("POST", "/x", [("Content-Length", length)]))
            response = read_response(sock, timeout_s=2.0)
        assert response.status == status and response.elapsed_s < 0.5
    assert_still_serving(echo_server)


def test_a_chunked_body_past_the_cap_is_cut_off_and_never_buffered(
    echo_server: ServerProcess,
) -> None:
    peak_before = peak_rss_mib(echo_server.pid)
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        sock.sendall(head("POST", "/x", [("Transfer-Encoding", "chunked")]))
        sent = flood(sock, 200 * MiB, chunked(b"x" * 65536) * 16)
        response = read_response(sock)

    # The server stopped reading at the cap and closed; only the kernel's buffers took more.
    assert response.status == 413 and sent < 32 * MiB
    assert peak_rss_mib(echo_server.pid) - peak_before < 16
    logged = echo_server.log.wait_for(1)
    assert len(logged) == 1 and f"request body exceeds {CAP} bytes" in logged[0]
    assert_still_serving(echo_server)


def test_a_trickling_body_gets_408_at_the_deadline(echo_server: ServerProcess) -> None:
    """A byte every 0.2 s: steady progress, so no per-read timeout would ever fire."""
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        sock.sendall(head("POST", "/x", [("Content-Length", "100")]))
        started = time.monotonic()
        trickle = Trickle(sock, b"x" * 100, interval_s=0.2)
        response = read_response(sock, timeout_s=5.0)
        closed_after_s, _ = seconds_until_closed(sock, 5.0)
        trickle.join()

    assert response.status == 408
    assert DEADLINE_S - 0.1 < time.monotonic() - started < DEADLINE_S + 1.0
    assert closed_after_s < 1.0 and trickle.sent < 20
    logged = echo_server.log.wait_for(1)
    assert len(logged) == 1 and "request body not received within 1 s" in logged[0]
    assert_still_serving(echo_server)


def test_an_abandoned_upload_logs_one_line_and_no_traceback(echo_server: ServerProcess) -> None:
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        sock.sendall(head("POST", "/x", [("Content-Length", "100000")]) + b"x" * 1000)
        time.sleep(0.1)  # the server has begun reading

    logged = echo_server.log.wait_for(1)
    assert len(logged) == 1, logged
    assert "client abandoned POST '/x' from 127.0.0.1 after 1000 body bytes" in logged[0]
    assert_still_serving(echo_server)


# --- in-process: what h11 never lets through, and what passes untouched ------------------------


class Recorder:
    """An ASGI app that records what it was given."""

    def __init__(self) -> None:
        self.calls = 0
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        while True:
            message = await receive()
            self.messages.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        if not self.messages[-1].get("more_body"):  # and once more: the server's messages follow
            self.messages.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    middleware: BodyLimits,
    method: str = "POST",
    path: str = "/stripe/webhook",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: tuple[bytes, ...] = (b"",),
    complete: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Runs one request through `middleware`; returns what it sent and how many receive() calls
    it made. The client sends `chunks`, then disconnects (at once unless `complete`)."""
    queue = [
        {"type": "http.request", "body": c, "more_body": not complete or i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    received = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": headers or [],
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(middleware(scope, receive, send))
    return sent, received


@pytest.mark.parametrize("value", [b"abc", b"-1", b"+5", b" 5", b"5_0", b"", b"\xd9\xa3"])
def test_a_content_length_that_is_not_digits_is_400_without_reading(value: bytes) -> None:
    app = Recorder()
    sent, received = call(BodyLimits(app), headers=[(b"content-length", value)])
    assert sent[0]["status"] == 400 and received == 0 and app.calls == 0
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["detail"] == "invalid Content-Length"


def test_conflicting_content_lengths_are_400() -> None:
    headers = [(b"content-length", b"5"), (b"content-length", b"6")]
    sent, _ = call(BodyLimits(Recorder()), headers=headers)
    assert sent[0]["status"] == 400


def test_the_cap_is_inclusive() -> None:
    at_cap, past_cap = Recorder(), Recorder()
    call(BodyLimits(at_cap, max_body_bytes=10), chunks=(b"x" * 6, b"x" * 4))
    sent, _ = call(BodyLimits(past_cap, max_body_bytes=10), chunks=(b"x" * 6, b"x" * 5))
    assert at_cap.messages[0] == {"type": "http.request", "body": b"x" * 10, "more_body": False}
    assert sent[0]["status"] == 413 and past_cap.calls == 0


def test_the_app_gets_the_body_in_one_message_then_the_servers_own() -> None:
    app = Recorder()
    call(BodyLimits(app), chunks=(b"ab", b"cd", b"ef"))
    assert app.messages == [
        {"type": "http.request", "body": b"abcdef", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_other_methods_and_paths_pass_through_untouched() -> None:
    big = [(b"content-length", str(10 * MiB).encode())]
    for middleware, method, path in [
        (BodyLimits(Recorder()), "GET", "/stripe/webhook"),
        (BodyLimits(Recorder(), path_prefixes=["/stripe/"]), "POST", "/api/v1/things"),
        (BodyLimits(Recorder(), methods=["PUT"]), "POST", "/stripe/webhook"),
    ]:
        sent, _ = call(middleware, method, path, headers=big, chunks=(b"x" * 100,))
        assert sent[0]["status"] == 204
    sent, _ = call(BodyLimits(Recorder(), path_prefixes=["/stripe/"]), headers=big)
    assert sent[0]["status"] == 413


def test_a_disconnect_mid_body_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    app = Recorder()
    sent, _ = call(BodyLimits(app), chunks=(b"x" * 4, b"x" * 3), complete=False)
    assert sent == [] and app.calls == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "vaultra.web.limits"]
    assert logged == ["client abandoned POST '/stripe/webhook' from 127.0.0.1 after 7 body bytes"]


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError):
        BodyLimits(Recorder(), max_body_bytes=-1)
    with pytest.raises(ValueError):
        BodyLimits(Recorder(), read_timeout_s=0)
