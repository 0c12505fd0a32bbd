"""Prepared statements run on both connection classes of pg8000 — the one SQLAlchemy opens from a
URL and the one the Cloud SQL connector opens (`pg8000.dbapi`, deployed) — and inside the caller's
transaction, whether or not they are its first statement."""

from __future__ import annotations

from collections.abc import Iterator

import pg8000.dbapi
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from vaultra.db.engine import engine_for_url
from vaultra.db.prepared import run_prepared

_INSERT = "INSERT INTO businesses (name) VALUES (:n) RETURNING name"


@pytest.fixture(params=["opened from a URL", "opened as the Cloud SQL connector opens it"])
def any_engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    if request.param == "opened from a URL":
        engine = engine_for_url(database_url)
    else:
        url = make_url(database_url)
        engine = create_engine(
            "postgresql+pg8000://",
            creator=lambda: pg8000.dbapi.connect(
                user=url.username, database=url.database, unix_sock=url.query["unix_sock"]
            ),
        )
    yield engine
    engine.dispose()


def names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM businesses ORDER BY name")).scalars())


def test_a_prepared_statement_runs_in_the_callers_transaction(any_engine: Engine) -> None:
    with any_engine.connect() as conn:
        with conn.begin() as transaction:  # the prepared statement is the first statement
            assert run_prepared(conn, _INSERT, n="rolled back") == (["rolled back"],)
            transaction.rollback()
        with conn.begin():
            conn.execute(text("SELECT 1"))
            run_prepared(conn, _INSERT, n="committed, second statement")
        with conn.begin():
            run_prepared(conn, _INSERT, n="committed, first statement")  # prepared once, reused

    assert names(any_engine) == ["committed, first statement", "committed, second statement"]
