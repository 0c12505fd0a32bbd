"""`vaultra serve` as a founder's browser meets it: a subprocess on a loopback port over its own
fresh database, stopped by its process group (the local bus and functions run inside it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from vaultra.db.embedded import drop_database, ensure_database
from vaultra_dev.loopback import free_port, stop_process_group, wait_until_ready

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Served:
    url: str
    env: dict[str, str]  # what the server runs with: a `vaultra` command given it sees the same
    log: Path


@contextlib.contextmanager
def vaultra_serve(
    pg_admin_url: str, template_database: str, home: Path, **env: str
) -> Iterator[Served]:
    name = f"vaultra_served_{uuid.uuid4().hex[:8]}"
    ensure_database(pg_admin_url, name, template=template_database)
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": make_url(pg_admin_url).set(database=name).render_as_string(False),
        "VAULTRA_HOME": str(home),
        "VAULTRA_EVENT_BUS": "local",
        "RECONCILE_INTERVAL_S": "3600",
        "VAULTRA_LOG_LEVEL": "WARNING",
        **env,
    }
    log_path = home / "serve.log"
    url = f"http://127.0.0.1:{port}"
    try:
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "vaultra.cli", "serve", "--port", str(port)],
                cwd=REPO,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                wait_until_ready(
                    proc,
                    lambda: _ready(url),
                    "vaultra serve",
                    lambda: log_path.read_text(errors="replace")[-4000:],
                    timeout_s=60,
                )
                yield Served(url, environment, log_path)
            finally:
                stop_process_group(proc)
    finally:
        drop_database(pg_admin_url, name)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
