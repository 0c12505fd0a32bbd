"""vaultra_runtime: the role every deployed runtime's database user is granted

In Cloud SQL each runtime logs in as its own IAM user (its service account), while the build's
migration user owns the schema. The runtimes read and write rows, nothing more: this NOLOGIN role
holds exactly that on every table and sequence, now and (by default privileges) for the tables
later migrations create; `vaultra migrate --grant USER` makes each runtime's user a member.

Revision ID: 0011_runtime_role
Revises: 0010_vectors
Create Date: 2026-11-29 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011_runtime_role"
down_revision = "0010_vectors"
branch_labels = None
depends_on = None

ROLE = "vaultra_runtime"
TABLES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCES = "USAGE, SELECT, UPDATE"


def upgrade() -> None:
    # Roles belong to the whole server, not to one database: made once, reused by every database.
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN;
          END IF;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT {TABLES} ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT {SEQUENCES} ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {TABLES} ON TABLES TO {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {SEQUENCES} ON SEQUENCES TO {ROLE}")


def downgrade() -> None:
    # This database's grants only: the role may still hold privileges in other databases of the
    # same server, which would make dropping it fail.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {SEQUENCES} ON SEQUENCES FROM {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {TABLES} ON TABLES FROM {ROLE}")
    op.execute(f"REVOKE {SEQUENCES} ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE {TABLES} ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
