"""Reusable test helpers: the gcloud Pub/Sub emulator and a functions-framework server.

Both run as subprocesses bound to 127.0.0.1 on free ports, each in its own session so that stopping
the process group we started (its id is the PID we got) also stops their children (gunicorn
workers). They are always stopped on exit from the context manager.

    reason = emulator_missing_reason()
    if reason:
        pytest.skip(reason)
    with run_pubsub_emulator() as host, run_functions_framework(target, source, env) as url:
        ...  # set PUBSUB_EMULATOR_HOST=host before creating Pub/Sub clients
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO

from vaultra_dev.loopback import free_port, stop_process_group

EMULATOR_JAR_GLOB = "platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"
DEFAULT_SDK_ROOT = Path("/usr/lib/google-cloud-sdk")


def sdk_roots() -> list[Path]:
    """Where a Google Cloud SDK may live: the Debian package path and wherever `gcloud` resolves."""
    roots = [DEFAULT_SDK_ROOT]
    gcloud = shutil.which("gcloud")
    if gcloud:
        # .../google-cloud-sdk/bin/gcloud, usually reached through a symlink such as /usr/bin/gcloud
        roots.append(Path(gcloud).resolve().parent.parent)
    return list(dict.fromkeys(roots))


def find_emulator_jar() -> Path | None:
    for root in sdk_roots():
        jars = sorted(root.glob(EMULATOR_JAR_GLOB))
        if jars:
            return jars[-1]
    return None


def find_java() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(Path(java_home, "bin", "java"), os.X_OK):
        return str(Path(java_home, "bin", "java"))
    return shutil.which("java")


def emulator_missing_reason() -> str | None:
    """None when the emulator can run here, else what is missing (for `pytest.skip`)."""
    missing = []
    if find_emulator_jar() is None:
        where = ", ".join(str(root / EMULATOR_JAR_GLOB) for root in sdk_roots())
        missing.append(f"no emulator jar matching {where}")
    if find_java() is None:
        missing.append("no `java` on PATH (nor in JAVA_HOME)")
    if not missing:
        return None
    return "Pub/Sub emulator not installed: " + "; ".join(missing)


def _tail(log: IO[bytes], limit: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-limit:]


@contextlib.contextmanager
def _started(
    argv: list[str], env: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], IO[bytes]]]:
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
        try:
            yield proc, log
        finally:
            stop_process_group(proc)


def _wait_until(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    log: IO[bytes],
    what: str,
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f} s:\n{_tail(log)}")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def run_pubsub_emulator(*, startup_timeout_s: float = 30.0) -> Iterator[str]:
    """Run the Pub/Sub emulator on 127.0.0.1; yield `host:port` (the PUBSUB_EMULATOR_HOST value)."""
    reason = emulator_missing_reason()
    if reason:
        raise RuntimeError(reason)
    jar, java = find_emulator_jar(), find_java()
    assert jar is not None and java is not None
    port = free_port()
    argv = [java, "-jar", str(jar), "--host=127.0.0.1", f"--port={port}"]
    with _started(argv) as (proc, log):
        _wait_until(
            lambda: _http_ok(f"http://127.0.0.1:{port}/"),
            proc,
            log,
            "Pub/Sub emulator",
            startup_timeout_s,
        )
        yield f"127.0.0.1:{port}"


@contextlib.contextmanager
def run_functions_framework(
    target: str,
    source: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    *,
    signature_type: str = "cloudevent",
    startup_timeout_s: float = 30.0,
) -> Iterator[str]:
    """Serve one function with functions-framework on 127.0.0.1; yield its base URL.

    `env` is added to this process's environment for the server.
    """
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "functions_framework",
        "--target",
        target,
        "--source",
        str(source),
        "--signature-type",
        signature_type,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with _started(argv, {**os.environ, **(env or {})}) as (proc, log):
        _wait_until(lambda: _accepts(port), proc, log, "functions-framework", startup_timeout_s)
        yield f"http://127.0.0.1:{port}"
