"""`vaultra serve` (the local stack: webhook, local bus, functions) in a subprocess on 127.0.0.1,
and one-off `vaultra` commands against the same database.

The server runs in its own session, so its process id is also its process group id; it is stopped
by that group (SIGTERM, then SIGKILL if it lingers). It logs at INFO (`vaultra --verbose serve`),
or at WARNING as `vaultra serve` does by default, to a file the benchmark reads while it runs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from vaultra_dev.loopback import free_port, stop_process_group, wait_until_ready

from bench._pg import REPO_ROOT

# The console script installed beside this interpreter (.venv/bin/vaultra).
VAULTRA = Path(sys.executable).with_name("vaultra")


@dataclass(frozen=True)
class RunningStack:
    url: str  # http://127.0.0.1:PORT
    pid: int  # also the process group id
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, limit: int = 3000) -> str:
        return self.log_text()[-limit:]


@dataclass(frozen=True)
class CommandRun:
    started: float  # wall clock (time.time())
    ended: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def _environment(env: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, **env}


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def vaultra_serve(
    env: Mapping[str, str],
    log_path: Path,
    startup_timeout_s: float = 90.0,
    *,
    verbose: bool = True,
) -> Iterator[RunningStack]:
    """`vaultra --verbose serve --host 127.0.0.1 --port P` (without `--verbose` if not `verbose`:
    warnings only, as `vaultra serve` runs by default) with `env` added to this process's
    environment; yields once /readyz answers 200."""
    port = free_port()
    argv = [str(VAULTRA), *(["--verbose"] if verbose else []), "serve"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_environment(env),
            start_new_session=True,
        )
        try:
            stack = RunningStack(f"http://127.0.0.1:{port}", proc.pid, log_path)
            wait_until_ready(
                proc,
                lambda: _ready(stack.url),
                "vaultra serve",
                stack.log_tail,
                timeout_s=startup_timeout_s,
                poll_s=0.2,
            )
            yield stack
        finally:
            stop_process_group(proc)


def vaultra_command(
    args: Sequence[str], env: Mapping[str, str], timeout_s: float = 300
) -> CommandRun:
    """Run `vaultra ARGS…` to completion; its output and when it started and ended."""
    started = time.time()
    done = subprocess.run(
        [str(VAULTRA), *args],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_environment(env),
        timeout=timeout_s,
        check=False,
    )
    return CommandRun(started, time.time(), done.returncode, done.stdout, done.stderr)
