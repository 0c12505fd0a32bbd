"""The webhook function's bounds: its body capped before it is read, refusals in one log line.

On the wire against functions-framework's own server (gunicorn, as in production), in its own
process, where memory and timing are the point; through the Flask test client where they are not.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import psutil
import pytest
from vaultra.config import get_settings
from vaultra.stripe import signature
from vaultra.web.limits import STRIPE_MAX_BODY_BYTES

from tests.support.stripe_payloads import SECRET, body_of, charge, event, sign
from tests.web.wire import (
    MiB,
    ServerProcess,
    chunked,
    connect,
    flood,
    function_server,
    head,
    peak_rss_mib,
    read_response,
    request,
    scratch_database,
    seconds_until_closed,
)

SOURCE = Path(__file__).resolve().parents[2] / "functions" / "stripe_webhook" / "main.py"
CAP = STRIPE_MAX_BODY_BYTES
TOO_LARGE = {"error": f"request body exceeds {CAP} bytes"}


@pytest.fixture(scope="module")
def webhook_server(
    tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str, template_database: str
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("function")
    with scratch_database(pg_admin_url, template_database) as database_url:
        env = {
            "DATABASE_URL": database_url,
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "VAULTRA_EVENT_BUS": "local",
            "VAULTRA_HOME": str(tmp),
        }
        with function_server(tmp, env, "stripe_webhook", SOURCE) as server:
            yield server


def worker_pid(server: ServerProcess) -> int:
    """gunicorn's worker: the process that reads the bodies."""
    [worker] = psutil.Process(server.pid).children()
    return int(worker.pid)


def assert_still_serving(server: ServerProcess) -> None:
    body = body_of(event("charge.succeeded", charge("ch_1"), event_id="evt_l1", created=1))
    response = request(server.port, "POST", "/", body, headers=[("Stripe-Signature", sign(body))])
    assert response.status == 200 and json.loads(response.body)["id"] == "evt_l1"


def test_a_declared_200_mb_body_is_refused_before_a_byte_of_it_is_sent(
    webhook_server: ServerProcess,
) -> None:
    webhook_server.log.mark()
    with connect(webhook_server.port) as sock:
        sock.sendall(head("POST", "/", [("Content-Length", str(200 * MiB))]))
        response = read_response(sock)  # nothing of the body has been sent
        closed_after_s, _ = seconds_until_closed(sock, 10.0)

    assert response.status == 413 and json.loads(response.body) == TOO_LARGE
    assert response.elapsed_s < 0.5
    # gunicorn waits (at most 5 s) for 64 KiB of the body it could drain, then closes
    assert closed_after_s < 6.0
    logged = webhook_server.log.wait_for(1)
    assert [line for line in logged if "refused a webhook delivery" in line] == logged
    assert len(logged) == 1
    assert_still_serving(webhook_server)


def test_a_content_length_of_10_to_the_20_is_answered_at_once(
    webhook_server: ServerProcess,
) -> None:
    with connect(webhook_server.port) as sock:
        sock.sendall(head("POST", "/", [("Content-Length", "100000000000000000000")]))
        response = read_response(sock, timeout_s=2.0)  # it used to hang
    assert response.status == 413 and response.elapsed_s < 0.5
    assert_still_serving(webhook_server)


def test_a_get_with_a_huge_body_is_405_at_once(webhook_server: ServerProcess) -> None:
    """functions-framework reads the body after any response: the 405 must leave it unread."""
    with connect(webhook_server.port) as sock:
        sock.sendall(head("GET", "/", [("Content-Length", "100000000000000000000")]))
        response = read_response(sock, timeout_s=2.0)
    assert response.status == 405 and response.elapsed_s < 0.5
    assert_still_serving(webhook_server)


def test_a_chunked_body_past_the_cap_is_cut_off_and_never_buffered(
    webhook_server: ServerProcess,
) -> None:
    worker = worker_pid(webhook_server)
    peak_before = peak_rss_mib(worker)
    with connect(webhook_server.port) as sock:
        sock.sendall(head("POST", "/", [("Transfer-Encoding", "chunked")]))
        started = time.monotonic()
        sent = flood(sock, 200 * MiB, chunked(b"{" * 65536) * 16)
        response = read_response(sock)

    assert response.status == 413 and json.loads(response.body) == TOO_LARGE
    assert sent < 32 * MiB and time.monotonic() - started < 7.0
    assert peak_rss_mib(worker) - peak_before < 16  # a 200 MB body read whole took +400 MB
    assert_still_serving(webhook_server)


def test_an_unsigned_body_that_is_not_utf8_is_400_in_one_log_line(
    webhook_server: ServerProcess,
) -> None:
    webhook_server.log.mark()
    response = request(webhook_server.port, "POST", "/", b"\xff\xfe{not utf-8}" * 100)

    assert response.status == 400  # it was a 500 and a 74-line traceback
    assert json.loads(response.body) == {
        "error": "invalid Stripe-Signature: No Stripe-Signature header value was provided"
    }
    logged = webhook_server.log.wait_for(1)
    assert len(logged) == 1 and "Traceback" not in logged[0]
    assert logged[0].endswith(
        "WARNING vaultra.services.webhook: refused a webhook delivery: invalid "
        "Stripe-Signature: No Stripe-Signature header value was provided"
    )
    assert_still_serving(webhook_server)


# --- through the test client ---------------------------------------------------------------------


def test_a_body_at_the_cap_is_read_and_one_byte_more_is_not(webhook_client: Any) -> None:
    at_cap = webhook_client.post("/", data=b"{" * CAP, headers={"Stripe-Signature": "t=1,v1=0"})
    past_cap = webhook_client.post("/", data=b"{" * (CAP + 1))
    assert at_cap.status_code == 400  # verified, and refused as unsigned: it was read
    assert "No signatures found matching" in at_cap.get_json()["error"]
    assert past_cap.status_code == 413 and past_cap.get_json() == TOO_LARGE


def client() -> Any:
    """A fresh instance of the function: it reads its settings (the secret) on its first call."""
    return functions_framework.create_app("stripe_webhook", str(SOURCE), "http").test_client()


@pytest.mark.usefixtures("function_env")
def test_a_missing_secret_is_logged_for_the_operator_not_told_to_the_caller(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = body_of(event("charge.succeeded", charge("ch_1"), event_id="evt_s1", created=1))
    headers = {"Stripe-Signature": sign(body, "whsec_some_other_endpoint")}
    wrong_secret = client().post("/", data=body, headers=headers)

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "")
    monkeypatch.setattr(signature, "_missing_secret_logged", False)
    get_settings.cache_clear()
    unconfigured = client()
    answers = [unconfigured.post("/", data=body, headers=headers) for _ in range(3)]

    assert wrong_secret.status_code == 400
    assert [(a.status_code, a.get_data()) for a in answers] == [(400, wrong_secret.get_data())] * 3
    operator = [r for r in caplog.records if r.name == "vaultra.stripe.signature"]
    assert len(operator) == 1 and operator[0].levelno == logging.ERROR
    assert "STRIPE_WEBHOOK_SECRET" in operator[0].getMessage()
