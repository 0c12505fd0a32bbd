"""The production webhook function served by functions-framework in a subprocess on 127.0.0.1.

The server runs in its own session, so its process id is also its process group id: stopping that
group (SIGTERM, then SIGKILL if it lingers) also stops the gunicorn workers it forked.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from vaultra_dev.loopback import free_port, stop_process_group, wait_until_ready

from bench._pg import REPO_ROOT

TARGET = "stripe_webhook"
SOURCE = Path("functions") / "stripe_webhook" / "main.py"
# What functions-framework's gunicorn wrapper reads to size the server.
_SIZING = ("WORKERS", "THREADS")


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int  # also the process group id
    log: IO[bytes]

    def log_tail(self, limit: int = 3000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-limit:]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def webhook_server(
    env: Mapping[str, str], startup_timeout_s: float = 60.0
) -> Iterator[RunningServer]:
    """Serve `stripe_webhook` with `env` added to this process's environment (minus any WORKERS or
    THREADS of ours: only `env` decides the gunicorn configuration)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "functions_framework",
        "--target",
        TARGET,
        "--source",
        str(SOURCE),
        "--signature-type",
        "http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**{k: v for k, v in os.environ.items() if k not in _SIZING}, **env},
            start_new_session=True,
        )
        try:
            server = RunningServer(f"http://127.0.0.1:{port}/", proc.pid, log)
            wait_until_ready(
                proc,
                lambda: _accepts(port),
                "functions-framework",
                server.log_tail,
                timeout_s=startup_timeout_s,
            )
            yield server
        finally:
            stop_process_group(proc)
