"""Stripe-shaped ledgers generated inside PostgreSQL, set-based, for the metrics benchmark.

One plan row per business says how big its history is; every table is then filled by one
`INSERT … SELECT` over the plan and `generate_series` (or over rows generated before: refunds and
disputes come from charges, balance transactions from the objects they settle), so ten thousand
businesses cost the same number of statements as one. No row travels from Python.

Random draws come from `random()` after `setseed()`, so every run generates the same ledger (but
for the businesses' random UUIDs). They are always taken in the target list of an inner query over
the very rows they are drawn for (`… random() AS r …`), never in a subquery that does not depend on
those rows, which PostgreSQL may evaluate once for many of them.

The shapes, per business (percentages of charges unless said otherwise):

- charges over the plan's months, volume growing exponentially (`growth` = ln of last-to-first
  density ratio); 3% failed (declined, nothing captured, no balance transaction); 8% without a
  customer (guest checkout); the rest spread over the customers with a skew (a few heavy buyers);
  4% in eur, settled in usd at 1.08 (their balance transaction says how much usd);
- refunds of 3% (2 points full, 1 point half), 1% of them failed, 1% pending; their balance
  transactions in usd;
- disputes of 0.5%: 12% are inquiries (`warning_*`), the others won or lost after 30-75 days
  (`closed_at` set) or still open when recent; a withdrawal balance transaction each, and a
  reinstatement for the won ones;
- payouts every `payout_every` (a day for the large business, a week for the small ones), 0.5%
  failed, the last ones in transit; a balance transaction each;
- subscriptions of `subs` customers spread evenly over all of them: monthly (85%) or yearly,
  1-25 seats, four price tiers, 30% with a 14-day trial (a quarter of those never convert), churn
  of 1.5% a month (10% a year for yearly), 20% of them adding seats over time and 10% removing
  some, 10% upgrading a tier once, 12% with a forever 20% discount, 4% with a forever amount-off,
  6% with a repeating (not counted) discount, 10% with a metered usage item, 2% with a tiered
  (unpriced) item, 3% in eur;
- their history in `subscription_states` as Vaultra builds it: the account was linked at
  `link_at`, so states before `link_at − 30 days` are `reconstructed` (one per renewal invoice, plus
  the trial and the end), later ones `event` states (2% of renewals past_due), one `snapshot` at the
  link; for half of the subscriptions a later backfill rebuilt 90 more days that events already
  cover (the reading rules must drop them); an invoice per renewal;
- recent `stripe_events` (the last 30 days), which only `data_through` reads.

Not generated, because no metric reads them: invoice lines, subscription items, users.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

# Seed for setseed(): the same ledger on every run.
SEED = 0.42


@dataclass(frozen=True)
class LargeBusiness:
    """The one large business of the single-business benchmark."""

    charges: int  # attempted charges, failed ones included
    customers: int
    subscriptions: int
    months: int = 36
    stripe_events: int = 3000


@dataclass(frozen=True)
class SmallBusinesses:
    """Many small businesses for the daily refresh: sizes vary a little from one to the next."""

    count: int
    charges: int  # attempted charges each
    stripe_events: int = 5


# What the plan table holds for each business.
_PLAN = """
CREATE TEMP TABLE bench_plan (
  business_id uuid PRIMARY KEY,
  tag text NOT NULL,            -- in every id of the business: ch_<tag>_0000001
  charges int NOT NULL,
  customers int NOT NULL,
  subs int NOT NULL,
  span_start timestamptz NOT NULL,
  span_end timestamptz NOT NULL,  -- the end of the as-of day: nothing is generated after it
  growth float8 NOT NULL,
  payout_every interval NOT NULL,
  events int NOT NULL,
  link_at timestamptz NOT NULL
) ON COMMIT PRESERVE ROWS
"""

# Position in [0, 1) of a draw u in (0, 1] when density grows as e^(g·t): the inverse CDF.
_GROWN = """
CREATE FUNCTION pg_temp.grown(u float8, g float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT least(ln(1 + u * (exp(g) - 1)) / g, 0.999999) $$
"""

_LARGE_PLAN = """
INSERT INTO bench_plan
SELECT gen_random_uuid(), 'big', :charges, :customers, :subs,
       CAST(:end AS timestamptz) - make_interval(months => :months), CAST(:end AS timestamptz),
       1.8, interval '1 day', :events, CAST(:end AS timestamptz) - interval '180 days'
"""

# Small businesses: 12-36 months of history, 120-199 customers, 2-8 subscriptions, linked
# between 30 and 329 days ago; charges ±20% around the plan's figure.
_SMALL_PLAN = """
INSERT INTO bench_plan
SELECT gen_random_uuid(), 's' || lpad(n::text, 5, '0'),
       round(:charges * (0.8 + 0.4 * mod(n * 7919, 1000) / 999.0))::int,
       120 + mod(n, 80), 2 + mod(n, 7),
       CAST(:end AS timestamptz) - make_interval(months => 12 + mod(n, 25)),
       CAST(:end AS timestamptz), 1.0, interval '7 days', :events,
       CAST(:end AS timestamptz) - make_interval(days => 30 + mod(n * 37, 300))
FROM generate_series(1, :count) n
"""

_BUSINESSES = """
INSERT INTO businesses (id, name) SELECT business_id, 'Bench ' || tag FROM bench_plan;
INSERT INTO stripe_connections (business_id, account_id, livemode)
SELECT business_id, 'acct_bench_' || tag, false FROM bench_plan
"""

_CUSTOMERS = """
INSERT INTO customers (business_id, id, livemode, created, version_at, version_key, currency,
                       delinquent, deleted)
SELECT business_id, id, false, t, t, '', 'usd', r2 < 0.02, false
FROM (SELECT p.business_id, 'cus_' || p.tag || '_' || lpad(k::text, 6, '0') AS id,
             p.span_start + (p.span_end - p.span_start)
               * pg_temp.grown((k - random()) / p.customers, p.growth) AS t,
             random() AS r2
      FROM bench_plan p, generate_series(1, p.customers) k) x
"""

_CHARGES = """
INSERT INTO charges (business_id, id, livemode, created, version_at, version_key, customer_id,
                     amount, amount_captured, amount_refunded, currency, status, paid, captured,
                     refunded, disputed, failure_code, balance_transaction_id, invoice_id,
                     payment_intent_id)
SELECT business_id, id, false, created, created, '', customer_id, amount,
       CASE WHEN failed THEN 0 ELSE amount END,
       CASE WHEN failed THEN 0 WHEN r_refund < 0.02 THEN amount
            WHEN r_refund < 0.03 THEN amount / 2 ELSE 0 END,
       currency,
       CASE WHEN failed THEN 'failed' ELSE 'succeeded' END,
       NOT failed, NOT failed, NOT failed AND r_refund < 0.02, NOT failed AND r_dispute < 0.005,
       CASE WHEN failed THEN (ARRAY['card_declined', 'insufficient_funds', 'expired_card'])
                               [1 + floor(r_amount * 3)::int] END,
       CASE WHEN NOT failed THEN 'txn_' || id END,
       NULL, 'pi_' || substr(id, 4)
FROM (
  SELECT business_id, id, created, r_refund, r_dispute, r_amount,
         r_fail < 0.03 AS failed,
         CASE WHEN r_guest < 0.08 THEN NULL
              ELSE 'cus_' || tag || '_'
                   || lpad((1 + floor(customers * r_customer ^ 2))::int::text, 6, '0') END
           AS customer_id,
         CASE WHEN r_currency < 0.04 THEN 'eur' ELSE 'usd' END AS currency,
         CASE WHEN r_kind < 0.55
              THEN (ARRAY[900, 2900, 4900, 9900, 19900, 49900])[1 + floor(r_amount * 6)::int]
              ELSE round(exp(5.5 + 3.5 * r_amount))::bigint END AS amount
  FROM (
    SELECT p.business_id, p.tag, p.customers,
           'ch_' || p.tag || '_' || lpad(g.i::text, 7, '0') AS id,
           p.span_start + (p.span_end - p.span_start)
             * pg_temp.grown((g.i - random()) / p.charges, p.growth) AS created,
           random() AS r_fail, random() AS r_guest, random() AS r_customer,
           random() AS r_currency, random() AS r_kind, random() AS r_amount,
           random() AS r_refund, random() AS r_dispute
    FROM bench_plan p, generate_series(1, p.charges) g(i)
  ) draws
) x
"""

# A charge's settled amount in usd: eur at 1.08. Fees 2.9% + 30 cents.
_CHARGE_BTS = """
INSERT INTO balance_transactions (business_id, id, livemode, created, version_at, version_key,
                                  amount, fee, net, currency, type, reporting_category, source_id,
                                  available_on, exchange_rate)
SELECT business_id, balance_transaction_id, false, created, created, '', usd,
       round(usd * 0.029)::bigint + 30, usd - round(usd * 0.029)::bigint - 30, 'usd', 'charge',
       'charge', id, created + interval '2 days', CASE WHEN currency <> 'usd' THEN 1.08 END
FROM (SELECT c.*, CASE WHEN c.currency = 'usd' THEN c.amount_captured
                       ELSE round(c.amount_captured * 1.08)::bigint END AS usd
      FROM charges c WHERE c.business_id IN (SELECT business_id FROM bench_plan)
        AND c.balance_transaction_id IS NOT NULL) x
"""

_REFUNDS = """
INSERT INTO refunds (business_id, id, livemode, created, version_at, version_key, charge_id, amount,
                     currency, status, reason, balance_transaction_id)
SELECT business_id, 're_' || substr(id, 4), false, t, t, '', id, amount_refunded, currency,
       CASE WHEN r < 0.01 THEN 'failed' WHEN r < 0.02 THEN 'pending' ELSE 'succeeded' END,
       (ARRAY['requested_by_customer', 'duplicate', 'fraudulent'])[1 + floor(r2 * 3)::int],
       CASE WHEN r >= 0.01 THEN 'txn_re_' || substr(id, 4) END
FROM (SELECT c.business_id, c.id, c.amount_refunded, c.currency,
             least(c.created + interval '14 days' * random() ^ 2, p.span_end - interval '1 minute')
               AS t,
             random() AS r, random() AS r2
      FROM charges c JOIN bench_plan p USING (business_id)
      WHERE c.amount_refunded > 0) x
"""

_REFUND_BTS = """
INSERT INTO balance_transactions (business_id, id, livemode, created, version_at, version_key,
                                  amount, fee, net, currency, type, reporting_category, source_id,
                                  available_on, exchange_rate)
SELECT business_id, balance_transaction_id, false, created, created, '', -usd, 0, -usd, 'usd',
       'refund', 'refund', id, created, CASE WHEN currency <> 'usd' THEN 1.08 END
FROM (SELECT r.*, CASE WHEN r.currency = 'usd' THEN r.amount
                       ELSE round(r.amount * 1.08)::bigint END AS usd
      FROM refunds r WHERE r.business_id IN (SELECT business_id FROM bench_plan)
        AND r.balance_transaction_id IS NOT NULL) x
"""

# Inquiries (warning_*) first; then formal disputes: decided after 30-75 days when old enough,
# otherwise still open (or already decided) when recent.
_DISPUTES = """
INSERT INTO disputes (business_id, id, livemode, created, version_at, version_key, charge_id,
                      amount, currency, status, reason, closed_at)
SELECT business_id, 'dp_' || substr(id, 4), false, t, coalesce(closed, t), '', id,
       amount_captured, currency, status,
       (ARRAY['fraudulent', 'product_not_received', 'duplicate', 'subscription_canceled',
              'general'])[1 + floor(r3 * 5)::int],
       closed
FROM (
  SELECT *, CASE WHEN status IN ('won', 'lost')
                 THEN least(t + interval '30 days' + interval '45 days' * r2,
                            span_end - interval '1 minute') END AS closed
  FROM (
    SELECT *, CASE
                WHEN r < 0.12 THEN
                  CASE WHEN t < span_end - interval '60 days' THEN 'warning_closed'
                       WHEN r < 0.06 THEN 'warning_needs_response' ELSE 'warning_under_review' END
                WHEN t >= span_end - interval '75 days' THEN
                  CASE WHEN r2 < 0.3 THEN 'needs_response' WHEN r2 < 0.7 THEN 'under_review'
                       WHEN r2 < 0.85 THEN 'won' ELSE 'lost' END
                WHEN r < 0.5 THEN 'won' ELSE 'lost' END AS status
    FROM (SELECT c.business_id, c.id, c.amount_captured, c.currency, p.span_end,
                 least(c.created + interval '1 day' + interval '40 days' * random(),
                       p.span_end - interval '1 hour') AS t,
                 random() AS r, random() AS r2, random() AS r3
          FROM charges c JOIN bench_plan p USING (business_id)
          WHERE c.disputed) draws
  ) s
) x
"""

# A withdrawal when a formal dispute opens (inquiries move no money), a reinstatement when won.
_DISPUTE_BTS = """
INSERT INTO balance_transactions (business_id, id, livemode, created, version_at, version_key,
                                  amount, fee, net, currency, type, reporting_category, source_id,
                                  available_on, exchange_rate)
SELECT business_id, 'txn_dpw_' || substr(id, 4), false, created, created, '', -usd, 1500,
       -usd - 1500, 'usd', 'adjustment', 'dispute', id, created,
       CASE WHEN currency <> 'usd' THEN 1.08 END
FROM (SELECT d.*, CASE WHEN d.currency = 'usd' THEN d.amount
                       ELSE round(d.amount * 1.08)::bigint END AS usd
      FROM disputes d WHERE d.business_id IN (SELECT business_id FROM bench_plan)
        AND d.status NOT LIKE 'warning%') x
UNION ALL
SELECT business_id, 'txn_dpr_' || substr(id, 4), false, closed_at, closed_at, '', usd, -1500,
       usd + 1500, 'usd', 'adjustment', 'dispute_reversal', id, closed_at,
       CASE WHEN currency <> 'usd' THEN 1.08 END
FROM (SELECT d.*, CASE WHEN d.currency = 'usd' THEN d.amount
                       ELSE round(d.amount * 1.08)::bigint END AS usd
      FROM disputes d WHERE d.business_id IN (SELECT business_id FROM bench_plan)
        AND d.status = 'won') x
"""

_PAYOUTS = """
INSERT INTO payouts (business_id, id, livemode, created, version_at, version_key, amount, currency,
                     status, arrival_date, automatic, method, failure_code)
SELECT business_id, id, false, d, d, '', amount, 'usd', status, d + interval '2 days', true,
       'standard', CASE WHEN status = 'failed' THEN 'account_closed' END
FROM (SELECT business_id, id, d, amount,
             CASE WHEN d + interval '2 days' >= span_end THEN 'in_transit'
                  WHEN r < 0.005 THEN 'failed' ELSE 'paid' END AS status
      FROM (SELECT p.business_id, p.span_end, g.d,
                   'po_' || p.tag || '_' || lpad(g.n::text, 5, '0') AS id,
                   round(1000 + 2000000 * random() ^ 2)::bigint AS amount, random() AS r
            FROM bench_plan p,
                 generate_series(p.span_start + p.payout_every, p.span_end - interval '1 hour',
                                 p.payout_every) WITH ORDINALITY g(d, n)) draws) x
"""

_PAYOUT_BTS = """
INSERT INTO balance_transactions (business_id, id, livemode, created, version_at, version_key,
                                  amount, fee, net, currency, type, reporting_category, source_id,
                                  available_on)
SELECT business_id, 'txn_' || id, false, created, created, '', -amount, 0, -amount, 'usd',
       'payout', 'payout', id, created
FROM payouts WHERE business_id IN (SELECT business_id FROM bench_plan)
"""

# One row per subscription with everything its history needs (a temporary table).
_SUBS = """
CREATE TEMP TABLE bench_subs ON COMMIT PRESERVE ROWS AS
SELECT business_id, id, customer_id, span_end, link_at, started, first_active, pm, tier0, qty0,
       qty_step, upgrade_at, discount, metered, tiered, currency,
       CASE WHEN ended < span_end THEN ended END AS ended_at
FROM (
  SELECT *,
         CASE WHEN trial AND r_convert < 0.25 THEN first_active  -- the trial never converted
              WHEN pm = 1 THEN first_active
                               + make_interval(months => ceil(ln(1 - r_life) / ln(0.985))::int)
              ELSE first_active
                   + make_interval(months => 12 * ceil(ln(1 - r_life) / ln(0.90))::int) END
           AS ended
  FROM (
    SELECT *, started + CASE WHEN trial THEN interval '14 days' ELSE interval '0' END
                AS first_active
    FROM (
      SELECT p.business_id, p.span_end, p.link_at,
             'sub_' || p.tag || '_' || lpad(p.n::text, 6, '0') AS id, c.id AS customer_id,
             least(c.created + interval '1 hour' + interval '6 days' * random(),
                   p.span_end - interval '1 day') AS started,
             CASE WHEN random() < 0.15 THEN 12 ELSE 1 END AS pm,
             1 + floor(random() ^ 1.5 * 4)::int AS tier0,
             1 + floor(random() ^ 4 * 25)::int AS qty0,
             (ARRAY[0.25, -0.15, 0, 0, 0, 0, 0, 0, 0, 0])[1 + floor(random() * 10)::int]
               AS qty_step,
             CASE WHEN random() < 0.1 THEN 3 + floor(random() * 12)::int END AS upgrade_at,
             (ARRAY['{"duration": "forever", "percent_off": 20}',
                    '{"duration": "forever", "amount_off": 1000, "currency": "usd"}',
                    '{"duration": "repeating", "duration_in_months": 3, "percent_off": 50}',
                    NULL])[CASE WHEN r_disc < 0.12 THEN 1 WHEN r_disc < 0.16 THEN 2
                                WHEN r_disc < 0.22 THEN 3 ELSE 4 END]::jsonb AS discount,
             r_item < 0.10 AS metered, r_item > 0.98 AS tiered,
             CASE WHEN random() < 0.03 THEN 'eur' ELSE 'usd' END AS currency,
             random() < 0.3 AS trial, random() AS r_convert, random() AS r_life
      FROM (SELECT p.*, s.n, random() AS r_disc, random() AS r_item
            FROM bench_plan p, generate_series(1, p.subs) s(n)) p
      JOIN customers c ON c.business_id = p.business_id
                      AND c.id = 'cus_' || p.tag || '_'
                                 || lpad(ceil(p.n::numeric * p.customers / p.subs)::text, 6, '0')
    ) a
  ) b
) x
"""

# Every state of every subscription before copies: the trial, one per renewal, the end.
# `kind` 0 = trial, 1 = renewal (k = its number), 2 = end.
_BASE_STATES = """
CREATE TEMP TABLE bench_states ON COMMIT PRESERVE ROWS AS
SELECT s.business_id, s.id AS subscription_id, s.customer_id, s.currency, s.discount, s.span_end,
       s.link_at, s.ended_at, s.pm, s.metered, s.tiered, k.kind, k.k, k.valid_from,
       k.valid_until, k.status,
       greatest(1, s.qty0 + floor(greatest(k.k, 0) * s.qty_step))::int AS qty,
       least(4, s.tier0 + CASE WHEN k.k >= s.upgrade_at THEN 1 ELSE 0 END) AS tier
FROM bench_subs s
CROSS JOIN LATERAL (
  SELECT 0 AS kind, 0 AS k, s.started AS valid_from, s.first_active AS valid_until,
         'trialing' AS status
  WHERE s.first_active > s.started
  UNION ALL
  SELECT 1, r.k, r.vf, least(r.vf + make_interval(months => s.pm),
                             coalesce(s.ended_at, 'infinity')),
         CASE WHEN r.draw < 0.02 THEN 'past_due' ELSE 'active' END
  FROM (SELECT g.k, s.first_active + make_interval(months => g.k * s.pm) AS vf, random() AS draw
        FROM generate_series(0, 36 / s.pm + 1) g(k)) r
  WHERE r.vf < coalesce(s.ended_at, s.span_end) AND r.vf < s.span_end
  UNION ALL
  SELECT 2, 0, s.ended_at, 'infinity', 'canceled' WHERE s.ended_at IS NOT NULL
) k
"""

# The states as stored: reconstructed before the horizon (link − 30 days), events after it; a
# snapshot at the link; for half of the subscriptions a second rebuild covering 90 more days.
_STATES = """
INSERT INTO subscription_states (business_id, subscription_id, valid_from, version_key, source,
                                 livemode, customer_id, status, currency, items, discount,
                                 cancel_at_period_end, ended_at)
SELECT business_id, subscription_id, valid_from, version_key, source, false, customer_id, status,
       currency,
       CASE WHEN kind = 2 THEN '[]'::jsonb ELSE
         jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
           'item_id', 'si_' || substr(subscription_id, 5) || '_1',
           'price_id', 'price_t' || tier || CASE WHEN pm = 12 THEN '_year' ELSE '_month' END,
           'product_id', CASE WHEN source <> 'reconstructed' THEN 'prod_t' || tier END,
           'unit_amount', CASE WHEN tiered THEN NULL
                               ELSE (ARRAY[1900, 4900, 9900, 29900])[tier]
                                    * CASE WHEN pm = 12 THEN 10 ELSE 1 END END,
           'currency', currency,
           'interval', CASE WHEN pm = 12 THEN 'year' ELSE 'month' END,
           'interval_count', 1, 'usage_type', 'licensed', 'quantity', qty)))
         || CASE WHEN metered THEN jsonb_build_array(jsonb_build_object(
              'item_id', 'si_' || substr(subscription_id, 5) || '_2', 'price_id', 'price_usage',
              'unit_amount', 5, 'currency', currency, 'interval', 'month', 'interval_count', 1,
              'usage_type', 'metered', 'quantity', NULL)) ELSE '[]'::jsonb END
       END,
       CASE WHEN kind = 1 THEN discount END, false,
       CASE WHEN kind = 2 THEN valid_from END
FROM (
  SELECT b.business_id, b.subscription_id, b.customer_id, b.currency, b.discount, b.kind, b.pm,
         b.metered, b.tiered, b.qty, b.tier, c.source,
         CASE WHEN c.copy = 3 THEN date_trunc('second', b.link_at) ELSE b.valid_from END
           AS valid_from,
         CASE WHEN c.source = 'snapshot' THEN ''
              WHEN c.source = 'event'
                THEN 'evt_' || left(md5(b.subscription_id || b.kind || b.k), 24)
              WHEN b.kind = 0 THEN 'reconstructed:trial'
              WHEN b.kind = 2 THEN 'reconstructed:ended'
              ELSE 'reconstructed:in_' || substr(b.subscription_id, 5) || '_' || b.k END
           AS version_key,
         CASE WHEN c.source = 'reconstructed' AND b.status = 'past_due' THEN 'active'
              ELSE b.status END AS status
  FROM (SELECT *, link_at - interval '30 days' AS horizon FROM bench_states) b
  CROSS JOIN LATERAL (VALUES
    (1, CASE WHEN b.valid_from < b.horizon THEN 'reconstructed' ELSE 'event' END),
    (2, 'reconstructed'),
    (3, 'snapshot')) c(copy, source)
  WHERE c.copy = 1
     OR (c.copy = 2 AND b.valid_from >= b.horizon AND b.valid_from < b.horizon + interval '90 days'
         AND hashtext(b.subscription_id) % 2 = 0)
     OR (c.copy = 3 AND b.kind <> 2 AND b.valid_from <= b.link_at AND b.link_at < b.valid_until)
) x
"""

_INVOICES = """
INSERT INTO invoices (business_id, id, livemode, created, version_at, version_key, customer_id,
                      subscription_id, status, billing_reason, currency, amount_due, amount_paid,
                      subtotal, total, tax, period_start, period_end, paid_at)
SELECT business_id, 'in_' || substr(subscription_id, 5) || '_' || k, false, valid_from,
       valid_from, '', customer_id, subscription_id,
       CASE WHEN status = 'past_due' THEN 'open' ELSE 'paid' END,
       CASE WHEN k = 0 THEN 'subscription_create' ELSE 'subscription_cycle' END,
       currency, amount, CASE WHEN status = 'past_due' THEN 0 ELSE amount END, amount, amount, 0,
       valid_from, valid_from + make_interval(months => pm),
       CASE WHEN status <> 'past_due' THEN valid_from END
FROM (SELECT *, (ARRAY[1900, 4900, 9900, 29900])[tier] * CASE WHEN pm = 12 THEN 10 ELSE 1 END
                  * qty AS amount
      FROM bench_states WHERE kind = 1) x
"""

_SUBSCRIPTIONS = """
INSERT INTO subscriptions (business_id, id, livemode, created, version_at, version_key,
                           customer_id, status, currency, start_date, trial_start, trial_end,
                           current_period_start, current_period_end, cancel_at_period_end,
                           canceled_at, ended_at, discount)
SELECT s.business_id, s.id, false, s.started, coalesce(l.valid_from, s.started), '',
       s.customer_id, coalesce(l.status, 'incomplete'), s.currency, s.started,
       CASE WHEN s.first_active > s.started THEN s.started END,
       CASE WHEN s.first_active > s.started THEN s.first_active END,
       CASE WHEN l.kind <> 2 THEN l.valid_from END,
       CASE WHEN l.kind <> 2 AND l.valid_until < 'infinity' THEN l.valid_until END,
       false, s.ended_at, s.ended_at, s.discount
FROM bench_subs s
LEFT JOIN (SELECT DISTINCT ON (subscription_id) subscription_id, kind, valid_from, valid_until,
                  status
           FROM bench_states ORDER BY subscription_id, valid_from DESC) l
  ON l.subscription_id = s.id
"""

_EVENTS = """
INSERT INTO stripe_events (id, account_id, livemode, type, api_version, created, source, body,
                           status, business_id, received_at, processed_at, published_at)
SELECT id, 'acct_bench_' || tag, false, type, '2024-06-20', t, 'webhook',
       json_build_object('id', id, 'object', 'event', 'type', type, 'created',
                         extract(epoch FROM t)::bigint)::text,
       'applied', business_id, t, t, t
FROM (SELECT p.business_id, p.tag, 'evt_' || p.tag || '_' || lpad(e::text, 6, '0') AS id,
             p.span_end - interval '30 days' * random() AS t,
             (ARRAY['charge.succeeded', 'charge.updated', 'customer.subscription.updated',
                    'invoice.paid', 'payout.paid', 'charge.refunded'])[1 + floor(random() * 6)::int]
               AS type
      FROM bench_plan p, generate_series(1, p.events) e) x
"""

# (label, statements) in load order; each label is timed and printed.
STEPS: tuple[tuple[str, str], ...] = (
    ("businesses", _BUSINESSES),
    ("customers", _CUSTOMERS),
    ("charges", _CHARGES),
    ("charge balance transactions", _CHARGE_BTS),
    ("refunds", _REFUNDS),
    ("refund balance transactions", _REFUND_BTS),
    ("disputes", _DISPUTES),
    ("dispute balance transactions", _DISPUTE_BTS),
    ("payouts", _PAYOUTS),
    ("payout balance transactions", _PAYOUT_BTS),
    ("subscriptions (plan)", _SUBS),
    ("subscription states (plan)", _BASE_STATES),
    ("subscription_states", _STATES),
    ("invoices", _INVOICES),
    ("subscriptions", _SUBSCRIPTIONS),
    ("stripe_events", _EVENTS),
)

COUNTED_TABLES = (
    "businesses",
    "customers",
    "charges",
    "balance_transactions",
    "refunds",
    "disputes",
    "payouts",
    "subscriptions",
    "subscription_states",
    "invoices",
    "stripe_events",
)

Progress = Callable[[str, float], None]


def _statements(sql: str) -> list[str]:
    return [s for s in (part.strip() for part in sql.split(";\n")) if s]


def _setup(conn: Connection) -> None:
    conn.exec_driver_sql(f"SELECT setseed({SEED})")
    # Bulk load: skip the per-row foreign-key checks to `businesses` (the plan inserts every
    # business first) — the owner of a bench database may; the schema itself is unchanged.
    conn.exec_driver_sql("SET session_replication_role = replica")
    conn.exec_driver_sql(_PLAN)
    conn.exec_driver_sql(_GROWN)


def _load(conn: Connection, progress: Progress) -> None:
    for label, sql in STEPS:
        started = time.perf_counter()
        for statement in _statements(sql):
            conn.exec_driver_sql(statement)
        conn.commit()
        progress(label, time.perf_counter() - started)
    conn.exec_driver_sql("SET session_replication_role = DEFAULT")
    conn.commit()


def load_large(conn: Connection, plan: LargeBusiness, end: datetime, progress: Progress) -> str:
    """Generate the large business on `conn` (committing step by step); return its id."""
    _setup(conn)
    conn.execute(
        text(_LARGE_PLAN),
        {
            "charges": plan.charges,
            "customers": plan.customers,
            "subs": plan.subscriptions,
            "months": plan.months,
            "events": plan.stripe_events,
            "end": end,
        },
    )
    business_id = str(conn.execute(text("SELECT business_id FROM bench_plan")).scalar_one())
    _load(conn, progress)
    return business_id


def load_small(conn: Connection, plan: SmallBusinesses, end: datetime, progress: Progress) -> None:
    """Generate the small businesses on `conn` (committing step by step)."""
    _setup(conn)
    conn.execute(
        text(_SMALL_PLAN),
        {"count": plan.count, "charges": plan.charges, "events": plan.stripe_events, "end": end},
    )
    _load(conn, progress)


def vacuum_analyze(url: str) -> None:
    """VACUUM (for the visibility map, as autovacuum would have) and ANALYZE every table."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for table in COUNTED_TABLES:
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    finally:
        engine.dispose()


def row_counts(conn: Connection) -> dict[str, int]:
    return {
        t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
        for t in COUNTED_TABLES
    }
