"""The schema of record (models) and the migrations agree, and migrations run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from vaultra.db import migrate
from vaultra.db.models import Base


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade_round_trips(engine: Engine) -> None:
    tables_at_head = set(inspect(engine).get_table_names())

    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables_at_head
    assert set(Base.metadata.tables) <= tables_at_head
