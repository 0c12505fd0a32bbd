"""ledger versions, dead letters, flags on stored event bodies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_versions",
        sa.Column("business_id", sa.UUID(), nullable=False),
        sa.Column("changed_xid", sa.String(length=20), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_ledger_versions_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("business_id", name=op.f("pk_ledger_versions")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=True),
        sa.Column("source_subscription", sa.String(length=255), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), nullable=True),
        sa.Column("business_id", sa.UUID(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dead_letters_message_id")),
    )
    op.create_index(
        op.f("ix_dead_letters_business_id_received_at"),
        "dead_letters",
        ["business_id", "received_at"],
        unique=False,
    )
    op.add_column(
        "stripe_events",
        sa.Column("body_escaped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "stripe_events",
        sa.Column("body_truncated", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    # Every existing business starts as changed by the migrating transaction: no run before it
    # sees it, so the first reconciliation recomputes each business once, from a known state.
    op.execute(
        "INSERT INTO ledger_versions (business_id, changed_xid) "
        "SELECT id, pg_current_xact_id()::text FROM businesses"
    )


def downgrade() -> None:
    op.drop_column("stripe_events", "body_truncated")
    op.drop_column("stripe_events", "body_escaped")
    op.drop_index(op.f("ix_dead_letters_business_id_received_at"), table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_table("ledger_versions")
