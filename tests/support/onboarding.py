"""What the onboarding tests share: a runtime whose bus runs the real function handlers inline, and
arrangements made directly (a verified email address, a viewer) where the route that makes them
is not what a test is about."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.bootstrap import Runtime, use_runtime
from vaultra.config import get_settings
from vaultra.db.unit_of_work import Database
from vaultra.entrypoints import cloud_event_handler
from vaultra.events.local_bus import LocalBus
from vaultra.handlers import FUNCTIONS

PUBLIC_URL = "https://vaultra.test"


def onboarding_runtime(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    database_url: str,
    home: Path,
    bus: LocalBus,
    **env: str,
) -> Runtime:
    """The process's runtime (the one the function handlers get) over the test database, with
    `bus` as its publisher; metrics compute without waiting for a burst (nothing else arrives).
    Settings come from the environment, as in a deployed function; `reset_runtime()` and
    `get_settings.cache_clear()` undo it."""
    values = {
        "DATABASE_URL": database_url,
        "VAULTRA_HOME": str(home),
        "VAULTRA_PUBLIC_URL": PUBLIC_URL,
        "METRICS_DEBOUNCE_S": "0",
        **env,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return use_runtime(Runtime(get_settings(), database=Database(engine), publisher=bus))


def subscribe_functions_but(bus: LocalBus, held: Iterable[str] = ()) -> None:
    """Subscribe every function's real handler to its topics, as `vaultra serve` does, except the
    `held` ones (a test delivers those itself, to look at what comes before)."""
    for name, function in FUNCTIONS.items():
        if name in held:
            continue
        for topic in dict.fromkeys(m.TOPIC for m in function.messages):
            bus.subscribe(topic, cloud_event_handler(name), subscription=f"{topic}-{name}")


def verify_email(engine: Engine, user_id: str) -> None:
    """Set as following the mailed link sets it (tests/api/test_accounts_verification.py follows
    the link itself): for tests about what a verified address allows, not about verifying."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET email_verified_at = now() WHERE id = :u"), {"u": user_id}
        )


def add_viewer(engine: Engine, business_id: str, user_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, 'viewer')"),
            {"b": business_id, "u": user_id},
        )


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
