"""Late data: a ledger change to a past day marks the stored metric runs it makes stale

Revision ID: 0016_past_changes
Revises: 0015_mrr_changes
Create Date: 2026-11-30 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_past_changes"
down_revision = "0015_mrr_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ledger_versions",
        sa.Column("past_changed_from", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("ledger_versions", sa.Column("past_changed_xid", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("ledger_versions", "past_changed_xid")
    op.drop_column("ledger_versions", "past_changed_from")
