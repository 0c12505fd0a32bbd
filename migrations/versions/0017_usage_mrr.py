"""subscription_mrr_changes priced with billed usage: metered and tiered items count what their
latest invoice line billed; a partial index on invoice_lines for the lines that may bill usage

The ledger writer now re-prices a subscription when its states or the invoices billing its usage
arrive (docs/METRICS.md, "Usage-priced items"). This migration re-prices every subscription
already stored with the rule the writer applies (a copy, as of this revision, of
`vaultra.db.ledger_writer._MRR_CHANGES` over every business at once).

Revision ID: 0017_usage_mrr
Revises: 0016_past_changes
Create Date: 2026-11-30 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_usage_mrr"
down_revision = "0016_past_changes"
branch_labels = None
depends_on = None

INDEX = "ix_invoice_lines_business_id_subscription_id_usage"
USAGE_LINE = (
    "subscription_item_id IS NOT NULL AND NOT proration "
    "AND (unit_amount IS NULL OR usage_type = 'metered')"
)
CONTRIBUTING = "('active', 'past_due')"
UNBILLED = "('draft', 'void')"

# Shared by both statements below: the insert, the states each instant keeps (an event's over a
# reconstruction of the same span, the newest version of an instant), and the movements.
_INSERT_FROM_STATES = """
    INSERT INTO subscription_mrr_changes (business_id, subscription_id, at, slot, customer_id,
                                          currency, mrr_delta, unpriced_delta)
    WITH st AS (
      SELECT s.business_id, s.subscription_id, s.customer_id, s.valid_from, s.version_key,
             s.source, s.status, s.currency, s.items, s.discount,
             min(s.valid_from) FILTER (WHERE s.source = 'event')
               OVER (PARTITION BY s.business_id, s.subscription_id) AS first_event
      FROM subscription_states s
    ),
"""
_CHOSEN_STATES = """
        SELECT DISTINCT ON (business_id, subscription_id, valid_from)
               business_id, subscription_id, customer_id, valid_from, status, currency, items,
               discount
        FROM st
        WHERE source <> 'reconstructed' OR first_event IS NULL OR valid_from < first_event
        ORDER BY business_id, subscription_id, valid_from, version_key COLLATE "C" DESC
"""


def _movements(instant: str) -> str:
    """`priced` (a subscription's MRR at each `instant`) as the table's changes: the difference
    from the instant before in the same currency; a change of currency ends the old one (slot 1)."""
    return f"""
    ordered AS (
      SELECT *, row_number() OVER w > 1 AS has_prev, lag(native) OVER w AS prev_native,
             lag(currency) OVER w AS prev_currency, lag(unpriced) OVER w AS prev_unpriced
      FROM priced
      WINDOW w AS (PARTITION BY business_id, subscription_id ORDER BY {instant})
    ),
    changes AS (
      SELECT business_id, subscription_id, {instant}, 0 AS slot, customer_id, currency,
             native - CASE WHEN has_prev AND prev_currency IS NOT DISTINCT FROM currency
                           THEN prev_native ELSE 0 END AS mrr_delta,
             unpriced - coalesce(prev_unpriced, 0) AS unpriced_delta
      FROM ordered
      UNION ALL
      SELECT business_id, subscription_id, {instant}, 1, customer_id, prev_currency,
             -prev_native, 0
      FROM ordered
      WHERE has_prev AND prev_currency IS DISTINCT FROM currency
    )
    SELECT business_id, subscription_id, {instant}, slot, customer_id, currency, mrr_delta,
           unpriced_delta
    FROM changes
    WHERE mrr_delta <> 0 OR unpriced_delta <> 0
"""


# The states alone, as 0015 priced them: what a downgrade restores.
STATES_ONLY = _INSERT_FROM_STATES + f"""
    chosen AS ({_CHOSEN_STATES}    ),
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
""" + _movements("valid_from")

WITH_USAGE = _INSERT_FROM_STATES + f"""
    chosen AS (
      SELECT business_id, subscription_id, customer_id, valid_from, status, currency, items,
             discount,
             row_number() OVER (PARTITION BY business_id, subscription_id
                                ORDER BY valid_from) AS n
      FROM ({_CHOSEN_STATES}      ) c
    ),
    lines AS (
      SELECT DISTINCT ON (l.business_id, l.subscription_id, l.subscription_item_id, l.period_end)
             l.business_id, l.subscription_id, l.subscription_item_id AS item_id,
             l.period_end AS known_from,
             to_timestamp(extract(epoch FROM l.period_end) * 3
                          - extract(epoch FROM l.period_start) * 2) AS stale_from,
             (l.amount::numeric * f.k)::numeric(1000, 40) / (12 * f.ic) AS monthly
      FROM invoice_lines l
      JOIN invoices i ON i.business_id = l.business_id AND i.id = l.invoice_id
      CROSS JOIN LATERAL (
        SELECT CASE l.interval WHEN 'month' THEN 12 WHEN 'year' THEN 1
                               WHEN 'week' THEN 52 WHEN 'day' THEN 365 END AS k,
               coalesce(nullif(l.interval_count, 0), 1) AS ic) f
      WHERE l.subscription_item_id IS NOT NULL AND NOT l.proration
        AND (l.unit_amount IS NULL OR l.usage_type = 'metered')
        AND coalesce(i.status, '') NOT IN {UNBILLED}
        AND f.k IS NOT NULL AND l.period_start IS NOT NULL AND l.period_end IS NOT NULL
      ORDER BY l.business_id, l.subscription_id, l.subscription_item_id, l.period_end,
               l.created DESC, l.id COLLATE "C" DESC
    ),
    billed AS (
      SELECT business_id, subscription_id, item_id, known_from, monthly,
             least(stale_from, lead(known_from) OVER (
               PARTITION BY business_id, subscription_id, item_id ORDER BY known_from)) AS until
      FROM lines
    ),
    instants AS (
      SELECT business_id, subscription_id, at, max(n) AS n
      FROM (SELECT business_id, subscription_id, valid_from AS at, n FROM chosen
            UNION ALL SELECT business_id, subscription_id, known_from, NULL FROM billed
            UNION ALL SELECT business_id, subscription_id, until, NULL FROM billed) x
      GROUP BY business_id, subscription_id, at
    ),
    at_instants AS (
      SELECT c.business_id, c.subscription_id, c.customer_id, i.at, c.status, c.currency,
             c.items, c.discount
      FROM (SELECT business_id, subscription_id, at,
                   max(n) OVER (PARTITION BY business_id, subscription_id ORDER BY at) AS n
            FROM instants) i
      JOIN chosen c ON c.business_id = i.business_id AND c.subscription_id = i.subscription_id
                   AND c.n = i.n
    ),
    items AS (
      SELECT a.business_id, a.subscription_id, a.at, e.ord, e.i,
             coalesce(e.i->>'usage_type', 'licensed') = 'metered'
               OR e.i->>'unit_amount' IS NULL AS by_usage,
             f.k, f.ic
      FROM at_instants a
      CROSS JOIN LATERAL jsonb_array_elements(a.items) WITH ORDINALITY AS e(i, ord)
      CROSS JOIN LATERAL (
        SELECT CASE e.i->>'interval' WHEN 'month' THEN 12 WHEN 'year' THEN 1
                                     WHEN 'week' THEN 52 WHEN 'day' THEN 365 END AS k,
               coalesce(nullif((e.i->>'interval_count')::int, 0), 1) AS ic) f
      WHERE a.status IN {CONTRIBUTING}
    ),
    gross AS (
      SELECT it.business_id, it.subscription_id, it.at,
             sum(CASE WHEN it.by_usage THEN coalesce(b.monthly, 0)
                      WHEN it.k IS NULL THEN 0
                      ELSE ((it.i->>'unit_amount')::numeric
                            * coalesce((it.i->>'quantity')::numeric, 1)
                            * it.k)::numeric(1000, 40) / (12 * it.ic) END) AS gross,
             (array_agg(it.k::numeric(1000, 40) / (12 * it.ic) ORDER BY it.ord)
                FILTER (WHERE it.i->>'interval' IS NOT NULL))[1] AS periods,
             bool_or(it.i->>'unit_amount' IS NULL
                     AND coalesce(it.i->>'usage_type', 'licensed') <> 'metered'
                     AND b.monthly IS NULL) AS unpriced
      FROM items it
      LEFT JOIN billed b
        ON it.by_usage AND b.business_id = it.business_id
       AND b.subscription_id = it.subscription_id AND b.item_id = it.i->>'item_id'
       AND b.known_from <= it.at AND it.at < b.until
      GROUP BY it.business_id, it.subscription_id, it.at
    ),
    priced AS (
      SELECT a.business_id, a.subscription_id, a.customer_id, a.at, a.currency,
             CASE WHEN a.status NOT IN {CONTRIBUTING} THEN 0
                  ELSE floor(greatest(
                    CASE WHEN a.discount->>'duration' = 'forever' AND g.gross > 0 THEN
                      CASE WHEN a.discount->>'percent_off' IS NOT NULL
                             THEN g.gross * (1 - (a.discount->>'percent_off')::numeric / 100)
                           WHEN a.discount->>'amount_off' IS NOT NULL
                             THEN g.gross - (a.discount->>'amount_off')::numeric
                                            * coalesce(g.periods, 1)
                           ELSE g.gross END
                    ELSE coalesce(g.gross, 0) END, 0) + 0.5 + 1e-20)::bigint END AS native,
             coalesce(g.unpriced, false)::int AS unpriced
      FROM at_instants a
      LEFT JOIN gross g ON g.business_id = a.business_id
                       AND g.subscription_id = a.subscription_id AND g.at = a.at
    ),
""" + _movements("at")


def upgrade() -> None:
    op.create_index(
        INDEX,
        "invoice_lines",
        ["business_id", "subscription_id"],
        unique=False,
        postgresql_where=sa.text(USAGE_LINE),
    )
    op.execute("DELETE FROM subscription_mrr_changes")
    op.execute(WITH_USAGE)


def downgrade() -> None:
    op.execute("DELETE FROM subscription_mrr_changes")
    op.execute(STATES_ONLY)
    op.drop_index(INDEX, table_name="invoice_lines")
