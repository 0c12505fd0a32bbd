"""Pooled connections: an idle one is checked before use, a dropped one costs one failed request at
most, and the read modes leave a connection as they found it."""

from __future__ import annotations

import socket
import threading
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool
from vaultra.db import engine as engine_module
from vaultra.db.engine import engine_for_url
from vaultra.db.errors import DatabaseUnavailable
from vaultra.db.unit_of_work import Database


@pytest.fixture
def pooled(database_url: str) -> Iterator[Engine]:
    engine = engine_for_url(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend_pid(db: Database) -> int:
    with db.reads() as uow:
        return int(uow.conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pg_admin_url: str, pid: int) -> None:
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})


def test_an_idle_connection_dropped_by_the_server_is_replaced_before_use(
    pooled: Engine, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(pooled)
    first = _backend_pid(db)
    _terminate(pg_admin_url, first)
    # Every returned connection counts as idle: the checkout pings it, the ping fails, and the
    # pool hands out a new connection instead of an error.
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)

    with db.snapshot() as uow:
        assert uow.conn.execute(text("SELECT 1")).scalar_one() == 1
    assert _backend_pid(db) != first


def test_a_busy_connection_dropped_by_the_server_fails_one_request_and_the_next_reconnects(
    pooled: Engine, pg_admin_url: str
) -> None:
    db = Database(pooled)
    first = _backend_pid(db)  # returned just now: not pinged at its next checkout
    _terminate(pg_admin_url, first)

    with pytest.raises(DatabaseUnavailable):
        _backend_pid(db)
    assert _backend_pid(db) != first


def test_reads_run_outside_a_transaction_and_give_the_connection_back_transactional(
    pooled: Engine,
) -> None:
    db = Database(pooled)
    with db.reads() as uow:
        # Outside a transaction each statement has its own: two calls see two transaction ids.
        first = uow.conn.execute(text("SELECT txid_current()")).scalar_one()
        second = uow.conn.execute(text("SELECT txid_current()")).scalar_one()
        assert first != second

    # The same (only) pooled connection, back to transactions: a write rolled back is gone.
    table = f"t_{uuid.uuid4().hex[:8]}"
    with pooled.connect() as conn:
        conn.execute(text(f"CREATE TABLE {table} (x int)"))
        conn.rollback()
    with db.reads() as uow:
        exists = uow.conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar_one()
    assert exists is None


def test_a_snapshot_is_one_read_only_repeatable_read_transaction(pooled: Engine) -> None:
    db = Database(pooled)
    with db.snapshot() as uow:
        level = uow.conn.execute(text("SHOW transaction_isolation")).scalar_one()
        read_only = uow.conn.execute(text("SHOW transaction_read_only")).scalar_one()
        first = uow.conn.execute(text("SELECT txid_current_if_assigned()")).scalar_one()
    assert (level, read_only, first) == ("repeatable read", "on", None)

    # The connection's own level is untouched for the next unit of work.
    with pooled.connect() as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one() == "read committed"


def test_a_connection_error_of_anything_but_the_driver_is_not_the_database(
    pooled: Engine,
) -> None:
    """A socket error from other work inside a unit of work (an HTTP call, say) stays what it is."""
    db = Database(pooled)
    with pytest.raises(ConnectionResetError), db.reads():
        raise ConnectionResetError("a storage call failed")


def test_a_connection_refused_half_way_leaves_no_socket_open(tmp_path: Path) -> None:
    """A server that accepts the connection and hangs up before the start-up exchange is over (as
    one shutting down does): the error raised holds no open socket for the collector to find."""
    path = str(tmp_path / ".s.PGSQL.5432")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()

    def hang_up() -> None:
        peer, _ = listener.accept()
        peer.close()

    thread = threading.Thread(target=hang_up)
    thread.start()
    engine = engine_for_url(f"postgresql+pg8000://vaultra@/vaultra?unix_sock={path}")
    try:
        with pytest.raises(Exception) as failed:
            engine.connect()
    finally:
        thread.join(5)
        listener.close()
        engine.dispose()

    held = [
        value
        for frame, _ in traceback.walk_tb(failed.value.__traceback__)
        for value in frame.f_locals.values()
        if isinstance(value, socket.socket)
    ]
    assert held and all(sock.fileno() == -1 for sock in held)
