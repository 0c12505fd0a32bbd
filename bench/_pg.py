"""A fresh, migrated database on the embedded PostgreSQL for one benchmark run; dropped at the end."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
