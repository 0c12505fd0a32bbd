"""the API's tables: indexes for the paths that delete by a column (an account's deletion and its
SET NULL references), and CHECKs on the enumerated columns

Revision ID: 0007
Revises: 0006_reports
Create Date: 2026-11-29 15:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006_reports"
branch_labels = None
depends_on = None

INDEXES = (
    ("invitations", ("email",)),
    ("invitations", ("invited_by",)),
    ("mail_outbox", ("to_address",)),
    ("oauth_states", ("user_id",)),
    ("oauth_states", ("business_id",)),
    ("reports", ("created_by",)),
    ("share_links", ("report_id",)),
    ("share_links", ("created_by",)),
)
CHECKS = (
    ("memberships", "role", "role IN ('owner', 'viewer')"),
    ("invitations", "role", "role IN ('owner', 'viewer')"),
    ("personal_access_tokens", "scope", "scope IN ('read')"),
    ("user_tokens", "purpose", "purpose IN ('password_reset', 'email_verification')"),
    ("share_views", "what", "what IN ('summary', 'pdf', 'csv')"),
)


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))
    for table, name, condition in CHECKS:
        op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, condition)


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    for table, columns in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{'_'.join(columns)}", table_name=table)
