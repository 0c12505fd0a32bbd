"""Apply Alembic migrations programmatically (set-up, `vaultra` on start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

# migrations/ sits at the repository root, beside shared/.
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def _run(engine: Engine, action: str, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


RUNTIME_ROLE = "vaultra_runtime"  # made by migration 0011_runtime_role


class UnknownDatabaseUser(LookupError):
    """A user to grant the runtime role to does not exist on the server."""


def grant_runtime(engine: Engine, users: list[str]) -> None:
    """Make each database user a member of the runtime role, in one transaction (all or none).

    In Cloud SQL each runtime logs in as its own IAM user, which Terraform creates with no
    privileges; the build grants it the role after migrating. Granting twice is harmless."""
    if not users:
        return
    quote = engine.dialect.identifier_preparer.quote_identifier
    with engine.begin() as conn:
        known = set(
            conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:users)"), {"users": users}
            ).scalars()
        )
        missing = sorted(set(users) - known)
        if missing:
            raise UnknownDatabaseUser(
                "no such database user: " + ", ".join(missing) + " (Terraform creates each "
                "runtime's IAM user; check the names)"
            )
        for user in users:
            conn.execute(text(f"GRANT {RUNTIME_ROLE} TO {quote(user)}"))
