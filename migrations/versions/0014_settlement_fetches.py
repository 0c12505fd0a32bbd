"""settlement_fetches: balance transactions a fetch did not bring, and when to try again

Revision ID: 0014_settlement_fetches
Revises: 0013_last_sync_index
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_settlement_fetches"
down_revision = "0013_last_sync_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_fetches",
        sa.Column("business_id", sa.UUID(), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("object", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_settlement_fetches_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("business_id", "object_id", name=op.f("pk_settlement_fetches")),
    )


def downgrade() -> None:
    op.drop_table("settlement_fetches")
