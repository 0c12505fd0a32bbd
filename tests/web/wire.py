"""HTTP/1.1 as a misbehaving client speaks it: raw sockets to real servers on 127.0.0.1, byte by
byte, with the clock running; and the server processes those tests talk to."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlalchemy.engine import make_url
from vaultra.db.embedded import drop_database, ensure_database

REPO_ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_s: float  # from the call that read it


def connect(port: int, timeout_s: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def head(
    method: str, path: str, headers: Sequence[tuple[str, str]] = (), *, close: bool = True
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket, timeout_s: float = 10.0) -> Response:
    """One response: its head, then Content-Length bytes of body (or up to EOF)."""
    started = time.monotonic()
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head; got {data!r}")
        data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"]) if "content-length" in headers else None
    while length is None or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Response(int(status_line.split()[1]), headers, body, time.monotonic() - started)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> Response:
    length = [("Content-Length", str(len(body)))] if method != "GET" else []
    with connect(port) as sock:
        sock.sendall(head(method, path, [*length, *headers]) + body)
        return read_response(sock)


def seconds_until_closed(sock: socket.socket, limit_s: float) -> tuple[float, bytes]:
    """How long until the server closes the connection, and what it sent meanwhile."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    received = b""
    with suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return time.monotonic() - started, received


class Trickle:
    """Sends `data` one byte every `interval_s` from a thread, until done or the server closes."""

    def __init__(self, sock: socket.socket, data: bytes, interval_s: float) -> None:
        self.sent = 0
        self._sock, self._data, self._interval_s = sock, data, interval_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for i in range(len(self._data)):
            try:
                self._sock.send(self._data[i : i + 1])
            except OSError:
                return
            self.sent += 1
            time.sleep(self._interval_s)

    def join(self) -> None:
        self._thread.join(timeout=30)


def flood(sock: socket.socket, total: int, chunk: bytes) -> int:
    """Sends up to `total` bytes as fast as the server takes them; stops when it closes."""
    sent = 0
    with suppress(OSError):
        while sent < total:
            sent += sock.send(chunk[: total - sent])
    return sent


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident set size (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) / 1024


def rss_mib(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / MiB


class LogFile:
    """A server's stderr, read from a mark: the lines it logged since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mark = 0

    def mark(self) -> None:
        self._mark = len(self.path.read_bytes())

    def lines(self) -> list[str]:
        return self.path.read_bytes()[self._mark :].decode(errors="replace").splitlines()

    def wait_for(self, count: int, within_s: float = 5.0, settle_s: float = 0.3) -> list[str]:
        """The lines since the mark once there are `count` of them (and no more came for a
        moment), or whatever there is after `within_s`."""
        deadline = time.monotonic() + within_s
        while len(self.lines()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(settle_s)
        return self.lines()


@contextmanager
def scratch_database(admin_url: str, template: str) -> Iterator[str]:
    """A database of its own, cloned from the migrated template, for a server shared by the tests
    of a module (the per-test `database_url` fixture is too short-lived for it)."""
    name = f"vaultra_wire_{uuid.uuid4().hex[:12]}"
    ensure_database(admin_url, name, template=template)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin_url, name)


@dataclass
class ServerProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: LogFile

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def asgi_server(
    tmp: Path, env: dict[str, str], args: Sequence[str], ready_path: str = "/"
) -> Iterator[ServerProcess]:
    """tests.web.serve_for_tests in its own process, on a listening socket bound here."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    command = [sys.executable, "-m", "tests.web.serve_for_tests", "--fd", str(listener.fileno())]
    with _started(tmp, env, [*command, *args], port, ready_path, listener) as server:
        yield server


@contextmanager
def function_server(
    tmp: Path, env: dict[str, str], target: str, source: Path
) -> Iterator[ServerProcess]:
    """functions-framework's own server (gunicorn, as in production) in its own process."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "functions-framework"),
        *("--target", target, "--source", str(source)),
        *("--host", "127.0.0.1", "--port", str(port)),
    ]
    with _started(tmp, env, command, port, "/", None) as server:
        yield server


@contextmanager
def _started(
    tmp: Path,
    env: dict[str, str],
    command: list[str],
    port: int,
    ready_path: str,
    listener: socket.socket | None,
) -> Iterator[ServerProcess]:
    log_path = tmp / f"server-{port}.log"
    with log_path.open("wb") as log_out:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=log_out,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),) if listener else (),
        )
    if listener is not None:
        listener.close()  # the server has its own copy
    server = ServerProcess(port, process, LogFile(log_path))
    try:
        _wait_until_serving(server, ready_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(server: ServerProcess, path: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.path.read_text()}")
        try:
            request(server.port, "GET", path)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
