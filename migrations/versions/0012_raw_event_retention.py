"""Raw events by age: the retention job deletes stripe_events rows by received_at

Revision ID: 0012_event_retention
Revises: 0011_runtime_role
Create Date: 2026-11-29 19:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_event_retention"
down_revision = "0011_runtime_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_stripe_events_received_at"), "stripe_events", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stripe_events_received_at"), table_name="stripe_events")
