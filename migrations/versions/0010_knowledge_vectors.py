"""pgvector, and the knowledge base's passage embeddings by model and passage digest

Revision ID: 0010_vectors
Revises: 0009_agent
Create Date: 2026-11-29 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision = "0010_vectors"
down_revision = "0009_agent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "knowledge_vectors",
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("embedding", Vector(), nullable=False),
        sa.Column(
            "embedded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("model", "digest", name=op.f("pk_knowledge_vectors")),
    )


def downgrade() -> None:
    op.drop_table("knowledge_vectors")
    # the extension stays: other objects may use it, and creating it needs a superuser
