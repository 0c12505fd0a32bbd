"""Alembic environment: the target is Vaultra's models; the connection comes from the caller
(`vaultra.db.migrate`) or, for the plain `alembic` command, from Vaultra's Settings."""

from __future__ import annotations

from alembic import context
from vaultra.db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from vaultra.config import get_settings
    from vaultra.db.engine import build_engine

    engine = build_engine(get_settings())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
