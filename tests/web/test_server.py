"""vaultra.web.server: uvicorn with a deadline on request heads, on the wire; and the local stack's
app (vaultra.web.app, behind BodyLimits) served by it, as `vaultra serve` serves it."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from typer.testing import CliRunner
from vaultra.bootstrap import reset_runtime
from vaultra.cli import app as cli
from vaultra.config import get_settings
from vaultra.events.local_bus import reset_local_bus
from vaultra.web import server
from vaultra.web.limits import BodyLimits

from tests.support.stripe_payloads import body_of, charge, event, sign
from tests.web.conftest import DEADLINE_S
from tests.web.wire import (
    MiB,
    ServerProcess,
    Trickle,
    chunked,
    connect,
    flood,
    head,
    read_response,
    request,
    seconds_until_closed,
)

WEBHOOK = "/stripe/webhook"


def test_headers_at_a_trickle_are_cut_off_at_the_deadline(echo_server: ServerProcess) -> None:
    """A byte every 0.2 s of the request head: the deadline holds however steady the progress."""
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        started = time.monotonic()
        trickle = Trickle(sock, head("POST", "/x", [("Content-Length", "5")]), interval_s=0.2)
        _, received = seconds_until_closed(sock, 5.0)
        trickle.join()

    assert DEADLINE_S - 0.1 < time.monotonic() - started < DEADLINE_S + 1.0
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert trickle.sent < 15
    logged = echo_server.log.wait_for(1)
    assert len(logged) == 1
    assert "request headers not received within 1 s" in logged[0]


def test_a_connection_that_sends_nothing_is_closed_quietly_at_the_deadline(
    echo_server: ServerProcess,
) -> None:
    echo_server.log.mark()
    with connect(echo_server.port) as sock:
        closed_after_s, received = seconds_until_closed(sock, 5.0)
    assert DEADLINE_S - 0.1 < closed_after_s < DEADLINE_S + 1.0 and received == b""
    assert echo_server.log.wait_for(0) == []  # a browser's pre-opened socket is no incident


def test_the_deadline_runs_again_for_each_request_of_a_kept_alive_connection(
    echo_server: ServerProcess,
) -> None:
    with connect(echo_server.port) as sock:
        sock.sendall(head("POST", "/first", [("Content-Length", "2")], close=False) + b"ok")
        assert read_response(sock).status == 200
        time.sleep(0.3)  # idle, within the keep-alive timeout
        started = time.monotonic()
        trickle = Trickle(sock, head("POST", "/second", [("Content-Length", "5")]), 0.2)
        _, received = seconds_until_closed(sock, 5.0)
        trickle.join()
    assert received.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < DEADLINE_S + 1.0


def test_the_deadline_ends_with_the_headers(echo_server: ServerProcess) -> None:
    """Headers in 0.6 s, the body 0.6 s later: past the head's deadline counted from the
    connection, yet within both deadlines — the head's is disarmed once it is parsed."""
    with connect(echo_server.port) as sock:
        request_head = head("POST", "/x", [("Content-Length", "5")])
        sock.sendall(request_head[:10])
        time.sleep(0.6)
        sock.sendall(request_head[10:])
        time.sleep(0.6)
        sock.sendall(b"hello")
        response = read_response(sock)
    assert response.status == 200 and json.loads(response.body)["received"] == 5


def test_a_head_larger_than_the_cap_is_refused_whole_or_in_pieces(
    echo_server: ServerProcess,
) -> None:
    """h11 alone only refuses a head still incomplete after a read: one sent in one piece (up to
    256 KiB per read) would pass."""
    big = head("POST", "/x", [("X-Padding", "a" * server.MAX_HEADER_BYTES)])
    echo_server.log.mark()
    for pieces in ([big], [big[:1000], big[1000:]], [big[: server.MAX_HEADER_BYTES + 10]]):
        with connect(echo_server.port) as sock:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.05)
            response = read_response(sock)
        assert response.status == 431
        assert json.loads(response.body)["detail"] == "request line and headers too large"
        assert response.headers["content-type"] == "application/problem+json"
    assert len(echo_server.log.wait_for(3)) == 3
    fits = head("POST", "/x", [("X-Padding", "a" * (server.MAX_HEADER_BYTES - 200))])
    with connect(echo_server.port) as sock:
        sock.sendall(fits)
        assert read_response(sock).status == 200


def test_build_config_sets_every_bound() -> None:
    config = server.build_config(object(), header_timeout_s=2.5, limit_concurrency=7)
    assert issubclass(config.http, server.HeaderDeadlineH11Protocol)  # type: ignore[arg-type]
    assert config.http.header_timeout_s == 2.5  # type: ignore[union-attr]
    assert config.h11_max_incomplete_event_size == server.MAX_HEADER_BYTES
    assert config.timeout_keep_alive == server.KEEP_ALIVE_S
    assert config.limit_concurrency == 7
    assert config.timeout_graceful_shutdown == server.GRACEFUL_SHUTDOWN_S
    assert server.HeaderDeadlineH11Protocol.header_timeout_s == server.HEADER_TIMEOUT_S
    with pytest.raises(ValueError):
        server.header_deadline_protocol(0)


# --- the local stack's app ----------------------------------------------------------------------


def signed_event_body() -> bytes:
    return body_of(event("charge.succeeded", charge("ch_1"), event_id="evt_w1", created=1))


def test_the_app_refuses_oversized_bodies_before_reading_them(
    vaultra_server: ServerProcess,
) -> None:
    with connect(vaultra_server.port) as sock:
        sock.sendall(head("POST", WEBHOOK, [("Content-Length", str(200 * MiB))]))
        declared = read_response(sock)
    with connect(vaultra_server.port) as sock:
        sock.sendall(head("POST", WEBHOOK, [("Transfer-Encoding", "chunked")]))
        flood(sock, 200 * MiB, chunked(b"{" * 65536) * 16)
        streamed = read_response(sock)
    assert declared.status == streamed.status == 413 and declared.elapsed_s < 0.5


def test_the_app_answers_a_body_that_is_not_utf8_with_400_in_one_log_line(
    vaultra_server: ServerProcess,
) -> None:
    vaultra_server.log.mark()
    response = request(vaultra_server.port, "POST", WEBHOOK, b"\xff\xfe{not utf-8}")
    assert response.status == 400
    assert json.loads(response.body) == {
        "error": "invalid Stripe-Signature: No Stripe-Signature header value was provided"
    }
    logged = vaultra_server.log.wait_for(1)  # it was a 500 and a 74-line traceback
    assert len(logged) == 1 and "Traceback" not in logged[0]
    assert logged[0].endswith("refused a webhook delivery: " + json.loads(response.body)["error"])


def test_the_app_logs_an_abandoned_upload_in_one_line(vaultra_server: ServerProcess) -> None:
    vaultra_server.log.mark()
    with connect(vaultra_server.port) as sock:
        sock.sendall(head("POST", WEBHOOK, [("Content-Length", "5000")]) + b"{" * 100)
        time.sleep(0.1)
    logged = vaultra_server.log.wait_for(1)
    assert len(logged) == 1 and "client abandoned POST '/stripe/webhook'" in logged[0]


def test_the_app_cuts_slow_heads_and_still_stores_a_genuine_delivery(
    vaultra_server: ServerProcess,
) -> None:
    with connect(vaultra_server.port) as sock:
        trickle = Trickle(sock, head("POST", WEBHOOK, [("Content-Length", "5")]), 0.2)
        closed_after_s, received = seconds_until_closed(sock, 5.0)
        trickle.join()
    assert received.startswith(b"HTTP/1.1 408") and closed_after_s < DEADLINE_S + 1.0

    body = signed_event_body()
    response = request(
        vaultra_server.port, "POST", WEBHOOK, body, headers=[("Stripe-Signature", sign(body))]
    )
    assert response.status == 200
    assert json.loads(response.body) == {"id": "evt_w1", "status": "pending_link"}


def test_a_body_the_app_does_not_read_is_not_waited_for(vaultra_server: ServerProcess) -> None:
    """GET /healthz with a body trickling in: the answer comes at once, then the connection
    closes (uvicorn alone would read and drop the body for as long as it trickles)."""
    with connect(vaultra_server.port) as sock:
        sock.sendall(head("GET", "/healthz", [("Content-Length", "1000000")], close=False))
        trickle = Trickle(sock, b"x" * 1000, interval_s=0.2)
        response = read_response(sock)
        closed_after_s, _ = seconds_until_closed(sock, 5.0)
        trickle.join()
    assert response.status == 200 and closed_after_s < 0.5


def test_vaultra_serve_runs_the_app_behind_body_limits_on_the_bounded_server(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULTRA_HOME", str(tmp_path))
    monkeypatch.setenv("VAULTRA_EVENT_BUS", "local")
    get_settings.cache_clear()
    served: list[tuple[Any, str, int]] = []
    monkeypatch.setattr(server, "run", lambda app, host, port: served.append((app, host, port)))
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    finally:
        reset_runtime()
        get_settings.cache_clear()
        reset_local_bus()

    assert result.exit_code == 0, result.output
    # the startup's knowledge indexing is over before the runtime's pool closed under it
    assert not any(t.name == "vaultra-knowledge" and t.is_alive() for t in threading.enumerate())
    [(app, host, port)] = served
    assert (host, port) == ("127.0.0.1", 8123)
    assert app.user_middleware[0].cls is BodyLimits  # outermost: before any route
