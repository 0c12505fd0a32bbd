"""the knowledge base's passages, with PostgreSQL full-text search over them

Revision ID: 0008_knowledge
Revises: 0007
Create Date: 2026-11-29 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_knowledge"
down_revision = "0007"
branch_labels = None
depends_on = None

# As vaultra.db.models.KNOWLEDGE_SEARCH at this revision (a migration does not import the models).
SEARCH = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(heading, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, body), 'C')"
)


def upgrade() -> None:
    op.create_table(
        "knowledge_chunks",
        sa.Column("article_id", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("heading", sa.String(300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("topics", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("sources", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(SEARCH, persisted=True),
            nullable=True,
        ),
        sa.Column(
            "indexed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("number >= 0", name=op.f("ck_knowledge_chunks_number")),
        sa.PrimaryKeyConstraint("article_id", "number", name=op.f("pk_knowledge_chunks")),
    )
    op.create_index(
        op.f("ix_knowledge_chunks_search"),
        "knowledge_chunks",
        ["search"],
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_knowledge_chunks_topics"),
        "knowledge_chunks",
        ["topics"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_table("knowledge_chunks")
