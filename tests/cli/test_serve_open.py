"""`vaultra serve --open` (what `make demo` ends with): the dashboard opens once the server
answers, not before — a browser opened on a port nobody listens on shows an error page."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from vaultra.cli.commands import serve


class _Ready(BaseHTTPRequestHandler):
    ready = False

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" and _Ready.ready else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_the_dashboard_opens_once_the_server_is_ready(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    port = server.server_address[1]
    _Ready.ready = False
    waiting = threading.Thread(target=serve._open_when_ready, args=("127.0.0.1", port, 10))
    waiting.start()
    waiting.join(timeout=0.8)
    assert opened == []  # not ready yet: nothing opened
    _Ready.ready = True
    waiting.join(timeout=10)
    assert opened == [f"http://127.0.0.1:{port}/app"]


def test_a_server_that_never_comes_up_opens_nothing(
    server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    _Ready.ready = False
    serve._open_when_ready("127.0.0.1", server.server_address[1], timeout_s=0.6)
    assert opened == []
