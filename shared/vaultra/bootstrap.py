"""Process-wide resources shared by a runtime's composition root: one engine per database.

Entry points (each function's main.py, the CLI, the local server) build their services from these,
once per process, and tests dispose them between cases.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from vaultra.config import Settings
from vaultra.db.engine import build_engine

_engines: dict[tuple[str | None, str | None, str], Engine] = {}
_lock = threading.Lock()


def get_engine(settings: Settings) -> Engine:
    db_url = settings.database_url.get_secret_value() if settings.database_url else None
    key = (settings.instance_connection_name, db_url, str(settings.vaultra_home))
    with _lock:
        if key not in _engines:
            _engines[key] = build_engine(settings)
        return _engines[key]


def dispose_engines() -> None:
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()
