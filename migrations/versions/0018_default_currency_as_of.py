"""businesses.default_currency_at: the moment the recorded default currency is as of

An `account.updated` event now records the account's `default_currency` too. Events arrive out of
order, so each report is kept only if it is as recent as the one recorded: an event by its
`created`, the backfill's reading of the account by when it read it.

Revision ID: 0018_default_currency_as_of
Revises: 0017_usage_mrr
Create Date: 2026-11-30 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_default_currency_as_of"
down_revision = "0017_usage_mrr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "businesses", sa.Column("default_currency_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("businesses", "default_currency_at")
