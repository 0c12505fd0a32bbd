"""Helpers for servers Vaultra starts on this machine (the demo, tests, benchmarks): a free
loopback port, waiting for a started server to be ready, and stopping a server started in its own
process group by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process_group(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """Stop the process group led by `proc` (started with `start_new_session=True`): SIGTERM,
    then SIGKILL if the leader still runs. SIGTERM lets gunicorn's master stop its workers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(grace_s)


def wait_until_ready(
    proc: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    name: str,
    log_tail: Callable[[], str],
    *,
    timeout_s: float,
    poll_s: float = 0.1,
) -> None:
    """Wait for `ready()`; raise with the server's log tail if it exits or takes too long."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} not ready:\n{log_tail()}")
        time.sleep(poll_s)
