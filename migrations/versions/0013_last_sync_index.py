"""A business's last webhook received: metrics-3 reads it for `last_synced_at`

Revision ID: 0013_last_sync_index
Revises: 0012_event_retention
Create Date: 2026-11-29 20:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013_last_sync_index"
down_revision = "0012_event_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_stripe_events_business_id_received_at"),
        "stripe_events",
        ["business_id", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stripe_events_business_id_received_at"), table_name="stripe_events")
