"""subscription_mrr_changes: subscription states priced once, when written; (business_id, created)
indexes on customers, invoices and subscriptions

The metrics read each subscription's MRR changes instead of pricing its whole history on every
computation (docs/DATA_MODEL.md). The ledger writer keeps the table up to date from now on; this
migration fills it for the states already stored, with the rule the writer applies (a copy, as of
this revision, of `vaultra.db.ledger_writer._MRR_CHANGES` over every business at once).

Revision ID: 0015_mrr_changes
Revises: 0014_settlement_fetches
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_mrr_changes"
down_revision = "0014_settlement_fetches"
branch_labels = None
depends_on = None

CONTRIBUTING = "('active', 'past_due')"

FILL = f"""
    INSERT INTO subscription_mrr_changes (business_id, subscription_id, at, slot, customer_id,
                                          currency, mrr_delta, unpriced_delta)
    WITH st AS (
      SELECT s.business_id, s.subscription_id, s.customer_id, s.valid_from, s.version_key,
             s.source, s.status, s.currency, s.items, s.discount,
             min(s.valid_from) FILTER (WHERE s.source = 'event')
               OVER (PARTITION BY s.business_id, s.subscription_id) AS first_event
      FROM subscription_states s
    ),
    chosen AS (
      SELECT DISTINCT ON (business_id, subscription_id, valid_from)
             business_id, subscription_id, customer_id, valid_from, status, currency, items,
             discount
      FROM st
      WHERE source <> 'reconstructed' OR first_event IS NULL OR valid_from < first_event
      ORDER BY business_id, subscription_id, valid_from, version_key COLLATE "C" DESC
    ),
    priced AS (
      SELECT c.business_id, c.subscription_id, c.customer_id, c.valid_from, c.currency,
             CASE WHEN c.status NOT IN {CONTRIBUTING} THEN 0
                  ELSE floor(greatest(
                    CASE WHEN c.discount->>'duration' = 'forever' AND g.gross > 0 THEN
                      CASE WHEN c.discount->>'percent_off' IS NOT NULL
                             THEN g.gross * (1 - (c.discount->>'percent_off')::numeric / 100)
                           WHEN c.discount->>'amount_off' IS NOT NULL
                             THEN g.gross - (c.discount->>'amount_off')::numeric
                                            * coalesce(g.periods, 1)
                           ELSE g.gross END
                    ELSE g.gross END, 0) + 0.5 + 1e-20)::bigint END AS native,
             (c.status IN {CONTRIBUTING} AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(c.items) i
                WHERE i->>'unit_amount' IS NULL
                  AND coalesce(i->>'usage_type', 'licensed') <> 'metered'))::int AS unpriced
      FROM chosen c
      LEFT JOIN LATERAL (
        SELECT coalesce(sum(CASE
                 WHEN coalesce(i->>'usage_type', 'licensed') = 'metered'
                      OR i->>'unit_amount' IS NULL OR f.k IS NULL THEN 0
                 ELSE ((i->>'unit_amount')::numeric * coalesce((i->>'quantity')::numeric, 1)
                       * f.k)::numeric(1000, 40) / (12 * f.ic) END), 0) AS gross,
               (array_agg(f.k::numeric(1000, 40) / (12 * f.ic) ORDER BY e.ord)
                  FILTER (WHERE i->>'interval' IS NOT NULL))[1] AS periods
        FROM jsonb_array_elements(c.items) WITH ORDINALITY AS e(i, ord)
        CROSS JOIN LATERAL (
          SELECT CASE i->>'interval' WHEN 'month' THEN 12 WHEN 'year' THEN 1
                                     WHEN 'week' THEN 52 WHEN 'day' THEN 365 END AS k,
                 coalesce(nullif((i->>'interval_count')::int, 0), 1) AS ic) f
      ) g ON c.status IN {CONTRIBUTING}
    ),
    ordered AS (
      SELECT *, row_number() OVER w > 1 AS has_prev, lag(native) OVER w AS prev_native,
             lag(currency) OVER w AS prev_currency, lag(unpriced) OVER w AS prev_unpriced
      FROM priced
      WINDOW w AS (PARTITION BY business_id, subscription_id ORDER BY valid_from)
    ),
    changes AS (
      SELECT business_id, subscription_id, valid_from, 0 AS slot, customer_id, currency,
             native - CASE WHEN has_prev AND prev_currency IS NOT DISTINCT FROM currency
                           THEN prev_native ELSE 0 END AS mrr_delta,
             unpriced - coalesce(prev_unpriced, 0) AS unpriced_delta
      FROM ordered
      UNION ALL
      SELECT business_id, subscription_id, valid_from, 1, customer_id, prev_currency,
             -prev_native, 0
      FROM ordered
      WHERE has_prev AND prev_currency IS DISTINCT FROM currency
    )
    SELECT business_id, subscription_id, valid_from, slot, customer_id, currency, mrr_delta,
           unpriced_delta
    FROM changes
    WHERE mrr_delta <> 0 OR unpriced_delta <> 0
"""


def upgrade() -> None:
    op.create_table(
        "subscription_mrr_changes",
        sa.Column("business_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("mrr_delta", sa.BigInteger(), nullable=False),
        sa.Column("unpriced_delta", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_subscription_mrr_changes_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "business_id", "subscription_id", "at", "slot", name=op.f("pk_subscription_mrr_changes")
        ),
    )
    op.execute(FILL)
    for table in ("customers", "invoices", "subscriptions"):
        op.create_index(
            op.f(f"ix_{table}_business_id_created"), table, ["business_id", "created"], unique=False
        )


def downgrade() -> None:
    for table in ("subscriptions", "invoices", "customers"):
        op.drop_index(op.f(f"ix_{table}_business_id_created"), table_name=table)
    op.drop_table("subscription_mrr_changes")
