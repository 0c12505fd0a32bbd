"""Rebuild subscription history older than Stripe's 30 days of events, in one set-based pass.

Stripe lists events for 30 days only, so for older history the states of each subscription are
rebuilt from what the list endpoints keep (docs/DATA_MODEL.md, "Subscription history"):

- a trial: `trialing` from `trial_start` (no MRR);
- each billed period: the subscription's non-proration invoice lines of a paid or open invoice give
  its items (price, quantity, interval) from `period_start` — `active`; an uncollectible invoice's
  period is `unpaid`; void and draft invoices are skipped;
- the end: `canceled` from `ended_at`.

Only states that began before the events horizon (now − 30 days) are rebuilt; later states come
from the events themselves. Changes made mid-period before the horizon show at the next renewal
(their proration lines are not replayed). Rebuilt rows have `source = 'reconstructed'` and a
deterministic `version_key`, so running the pass again inserts nothing new.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, text

_REBUILD = text(
    """
    WITH periods AS (
        SELECT l.subscription_id, l.invoice_id, i.status AS invoice_status,
               min(l.period_start) AS period_start,
               jsonb_agg(jsonb_build_object(
                   'item_id', l.subscription_item_id, 'price_id', l.price_id,
                   'unit_amount', l.unit_amount, 'currency', l.currency,
                   'interval', l.interval, 'interval_count', l.interval_count,
                   'usage_type', l.usage_type, 'quantity', l.quantity
               ) ORDER BY l.subscription_item_id, l.id) AS items
        FROM invoice_lines l
        JOIN invoices i ON i.business_id = l.business_id AND i.id = l.invoice_id
        WHERE l.business_id = :business_id AND l.subscription_id IS NOT NULL
          AND NOT l.proration AND l.interval IS NOT NULL
          AND i.status IN ('paid', 'open', 'uncollectible')
        GROUP BY l.subscription_id, l.invoice_id, i.status
    ),
    rebuilt AS (
        SELECT s.id AS subscription_id, p.period_start AS valid_from,
               'reconstructed:' || p.invoice_id AS version_key,
               CASE WHEN s.trial_end IS NOT NULL AND p.period_start < s.trial_end THEN 'trialing'
                    WHEN p.invoice_status = 'uncollectible' THEN 'unpaid'
                    ELSE 'active' END AS status,
               p.items,
               CASE WHEN (s.discount->>'start')::double precision <= extract(epoch FROM p.period_start)
                     AND coalesce((s.discount->>'end')::double precision, 'infinity')
                         > extract(epoch FROM p.period_start)
                    THEN s.discount END AS discount,
               s.customer_id, s.currency, s.livemode
        FROM periods p
        JOIN subscriptions s ON s.business_id = :business_id AND s.id = p.subscription_id
        UNION ALL
        SELECT s.id, s.trial_start, 'reconstructed:trial', 'trialing', '[]'::jsonb, NULL,
               s.customer_id, s.currency, s.livemode
        FROM subscriptions s
        WHERE s.business_id = :business_id AND s.trial_start IS NOT NULL
        UNION ALL
        SELECT s.id, s.ended_at, 'reconstructed:ended', 'canceled', '[]'::jsonb, NULL,
               s.customer_id, s.currency, s.livemode
        FROM subscriptions s
        WHERE s.business_id = :business_id AND s.ended_at IS NOT NULL
    )
    INSERT INTO subscription_states (business_id, subscription_id, valid_from, version_key, source,
        livemode, customer_id, status, currency, items, discount, cancel_at_period_end, ended_at)
    SELECT :business_id, r.subscription_id, r.valid_from, r.version_key, 'reconstructed',
           r.livemode, r.customer_id, r.status, r.currency, r.items, r.discount, false,
           CASE WHEN r.status = 'canceled' THEN r.valid_from END
    FROM rebuilt r
    WHERE r.valid_from IS NOT NULL AND r.valid_from < :horizon
    ON CONFLICT DO NOTHING
    """
)


def rebuild_subscription_history(
    conn: Connection, business_id: uuid.UUID, horizon: datetime
) -> int:
    """Insert the rebuilt states that began before `horizon`; returns how many were new."""
    result = conn.execute(_REBUILD, {"business_id": business_id, "horizon": horizon})
    return result.rowcount or 0
