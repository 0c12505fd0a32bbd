"""The metric aggregates of one business, computed in PostgreSQL with set-based SQL.

Six statements, each one pass over one part of the ledger, all run in the caller's transaction (use
REPEATABLE READ so they read one snapshot). They return a few numbers each; no rows travel to
Python. `vaultra_dev.reference_metrics` is the same policy written record by record; the
property tests hold the two equal.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.domain.metrics.aggregates import Aggregates, MonthTotals, MrrAggregates, MrrMovements
from vaultra.domain.metrics.periods import MONTHS_SCANNED, Periods
from vaultra.domain.metrics.records import INQUIRY_STATUSES, VOID_REFUND_STATUSES
from vaultra.domain.mrr import CONTRIBUTING_STATUSES


def _sql_list(values: frozenset[str]) -> str:
    """A policy's status set as an SQL list literal (fixed identifiers, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


INQUIRIES = _sql_list(INQUIRY_STATUSES)
VOID_REFUNDS = _sql_list(VOID_REFUND_STATUSES)
CONTRIBUTING = _sql_list(CONTRIBUTING_STATUSES)

# The account currency when the business has none recorded: the settlement currency of its most
# recent charges, else their charge currency, else its subscriptions' currency.
_CURRENCY = text(
    """
    SELECT coalesce(
      (SELECT default_currency FROM businesses WHERE id = :b),
      (SELECT bt.currency FROM (SELECT balance_transaction_id FROM charges
                                 WHERE business_id = :b ORDER BY created DESC LIMIT 1000) c
         JOIN balance_transactions bt ON bt.business_id = :b AND bt.id = c.balance_transaction_id
         GROUP BY bt.currency ORDER BY count(*) DESC, bt.currency LIMIT 1),
      (SELECT currency FROM (SELECT currency FROM charges WHERE business_id = :b
                              ORDER BY created DESC LIMIT 1000) c
         GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1),
      (SELECT lower(currency) FROM subscriptions WHERE business_id = :b AND currency IS NOT NULL
         GROUP BY lower(currency) ORDER BY count(*) DESC, lower(currency) LIMIT 1))
    """
)

# Succeeded, captured charges of the 13 calendar months ending with D's month: monthly totals,
# the 12 months, 90 and 30 days ending at D, and — over the 12 months ending at D — native totals
# per currency and the volume of each paying party (a customer, or a charge without one) for
# concentration.
_SALES = text(
    """
    WITH sales AS MATERIALIZED (
      SELECT c.id, c.customer_id, c.created, c.currency, c.amount_captured,
             CASE WHEN c.currency = :cur THEN c.amount_captured
                  ELSE (SELECT bt.amount FROM balance_transactions bt
                        WHERE bt.business_id = c.business_id AND bt.id = c.balance_transaction_id
                          AND bt.currency = :cur) END AS amount,
             (extract(year FROM c.created AT TIME ZONE 'UTC') * 12
              + extract(month FROM c.created AT TIME ZONE 'UTC'))::int - :first_month AS idx
      FROM charges c
      WHERE c.business_id = :b AND c.created >= :scan_start AND c.created < :end
        AND c.status = 'succeeded' AND c.captured
    ),
    in_year AS MATERIALIZED (SELECT * FROM sales WHERE created >= :year_start),
    parties AS MATERIALIZED (
      SELECT sum(amount) AS v FROM in_year WHERE amount IS NOT NULL
      GROUP BY coalesce(customer_id, 'charge:' || id)
    ),
    buyers AS MATERIALIZED (
      SELECT count(*) AS n, sum(amount) AS v FROM in_year WHERE customer_id IS NOT NULL
      GROUP BY customer_id
    )
    SELECT
      (SELECT coalesce(json_agg(json_build_array(idx, a, n, u)), '[]') FROM (
         SELECT idx, coalesce(sum(amount), 0) AS a, count(*) AS n,
                count(*) FILTER (WHERE amount IS NULL) AS u
         FROM sales GROUP BY idx) m) AS months,
      (SELECT json_build_array(coalesce(sum(amount), 0), count(*) FILTER (WHERE amount IS NULL))
         FROM in_year) AS year_totals,
      (SELECT json_build_array(coalesce(sum(amount), 0), count(*),
                               count(*) FILTER (WHERE created >= :rolling_month))
         FROM sales WHERE created >= :trailing) AS trailing,
      (SELECT coalesce(json_object_agg(currency, a), '{}') FROM (
         SELECT currency, sum(amount_captured) AS a FROM in_year GROUP BY currency) x)
        AS by_currency,
      (SELECT json_build_array(count(*), coalesce(max(v), 0),
                               coalesce(sum(v::numeric * v), 0)::text) FROM parties) AS parties,
      (SELECT coalesce(sum(v), 0) FROM (SELECT v FROM parties ORDER BY v DESC LIMIT 5) t) AS top5,
      (SELECT json_build_array(count(*), count(*) FILTER (WHERE n >= 2),
                               coalesce(sum(v) FILTER (WHERE n >= 2), 0))
         FROM buyers) AS repeat,
      (SELECT min(created) FROM charges WHERE business_id = :b AND status = 'succeeded'
         AND captured AND created < :end) AS first_charge
    """
)

# The three complete months before D's month, a year earlier (settled amounts, as above).
_YEAR_EARLIER_QUARTER = text(
    """
    SELECT coalesce(sum(CASE WHEN c.currency = :cur THEN c.amount_captured
                        ELSE (SELECT bt.amount FROM balance_transactions bt
                              WHERE bt.business_id = c.business_id
                                AND bt.id = c.balance_transaction_id
                                AND bt.currency = :cur) END), 0)
    FROM charges c
    WHERE c.business_id = :b AND c.created >= :yoy_start AND c.created < :yoy_end
      AND c.status = 'succeeded' AND c.captured
    """
)

_REFUNDS = text(
    f"""
    WITH r AS (
      SELECT r.created,
             CASE WHEN r.currency = :cur THEN r.amount
                  ELSE (SELECT abs(bt.amount) FROM balance_transactions bt
                        WHERE bt.business_id = r.business_id AND bt.id = r.balance_transaction_id
                          AND bt.currency = :cur) END AS amount
      FROM refunds r
      WHERE r.business_id = :b AND r.created >= :month_or_trailing_start AND r.created < :end
        AND (r.status IS NULL OR r.status NOT IN {VOID_REFUNDS})
    )
    SELECT coalesce(sum(amount) FILTER (WHERE created >= :month_start), 0),
           coalesce(sum(amount) FILTER (WHERE created >= :trailing), 0),
           count(*) FILTER (WHERE amount IS NULL)
    FROM r
    """
)

# Disputes by dispute date (the networks' method) in the month, the 90 and the 30 days ending at D;
# inquiries (`warning_*`) are counted apart.
_DISPUTES = text(
    f"""
    WITH d AS (
      SELECT d.created, d.status, d.closed_at,
             d.status IN {INQUIRIES} AS inquiry,
             CASE WHEN d.currency = :cur THEN d.amount
                  ELSE (SELECT abs(bt.amount) FROM balance_transactions bt
                        WHERE bt.business_id = d.business_id AND bt.source_id = d.id
                          AND bt.currency = :cur AND bt.amount < 0
                        ORDER BY bt.created, bt.id COLLATE "C" LIMIT 1) END AS amount
      FROM disputes d
      WHERE d.business_id = :b
        AND ((d.created >= :month_or_trailing_start AND d.created < :end)
             OR (d.closed_at >= :month_start AND d.closed_at < :end))
    ), in_month AS (
      SELECT *, created >= :month_start AND created < :end AS this_month FROM d
    )
    SELECT count(*) FILTER (WHERE NOT inquiry AND this_month),
           coalesce(sum(amount) FILTER (WHERE NOT inquiry AND this_month), 0),
           count(*) FILTER (WHERE NOT inquiry AND this_month AND amount IS NULL),
           coalesce(sum(amount) FILTER (WHERE status = 'won' AND closed_at >= :month_start
                                          AND closed_at < :end), 0),
           count(*) FILTER (WHERE NOT inquiry AND created >= :trailing AND created < :end),
           count(*) FILTER (WHERE inquiry AND this_month),
           count(*) FILTER (WHERE NOT inquiry AND created >= :rolling_month AND created < :end)
    FROM in_month
    """
)

_PAYOUTS = text(
    """
    WITH p AS (SELECT arrival_date, status FROM payouts
               WHERE business_id = :b AND arrival_date < :end),
         last_failure AS (SELECT max(arrival_date) AS at FROM p WHERE status = 'failed')
    SELECT count(p.*) FILTER (WHERE p.status = 'paid' AND p.arrival_date >= :trailing),
           count(p.*) FILTER (WHERE p.status = 'failed' AND p.arrival_date >= :trailing),
           count(p.*) FILTER (WHERE p.status = 'paid'
                                AND (f.at IS NULL OR p.arrival_date > f.at)),
           f.at
    FROM last_failure f LEFT JOIN p ON true
    GROUP BY f.at
    """
)

_DATA_THROUGH = text(
    """
    SELECT greatest(
      (SELECT max(created) FROM stripe_events WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM charges WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM refunds WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM disputes WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM payouts WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM balance_transactions WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM customers WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM invoices WHERE business_id = :b AND created < :end),
      (SELECT max(created) FROM subscriptions WHERE business_id = :b AND created < :end))
    """
)

# The last successful sync before the end of D: a webhook received, an import completed. The
# latest object seen is a lower bound of it that outlives the raw events' retention.
_LAST_SYNC = text(
    """
    SELECT greatest(
      (SELECT max(received_at) FROM stripe_events
        WHERE business_id = :b AND received_at < :end),
      (SELECT max(finished_at) FROM job_runs
        WHERE business_id = :b AND kind IN ('backfill', 'demo_data') AND status = 'succeeded'
          AND finished_at < :end))
    """
)

# MRR: each subscription's states (reading rules of docs/DATA_MODEL.md), priced (domain/mrr.py's
# rule: exact to 40 decimal places, then half up), turned into each customer's MRR changes over
# time; then the customer-level values at the instants the metrics need (the end of D, 30 and 180
# days before it, the starts of D's month and of the three complete months before it, twelve
# months before D), and the movements of the month classified change by change.
_MRR = text(
    f"""
    WITH st AS (
      SELECT s.subscription_id, s.customer_id, s.valid_from, s.version_key, s.source, s.status,
             s.currency, s.items, s.discount,
             min(s.valid_from) FILTER (WHERE s.source = 'event')
               OVER (PARTITION BY s.subscription_id) AS first_event
      FROM subscription_states s
      WHERE s.business_id = :b AND s.valid_from < :end
    ),
    chosen AS (
      SELECT DISTINCT ON (subscription_id, valid_from)
             subscription_id, customer_id, valid_from, status, currency, items, discount
      FROM st
      WHERE source <> 'reconstructed' OR first_event IS NULL OR valid_from < first_event
      ORDER BY subscription_id, valid_from, version_key COLLATE "C" DESC
    ),
    priced AS (
      SELECT c.subscription_id, c.customer_id, c.valid_from, c.status, c.items,
             coalesce(c.currency, :cur) AS currency,
             CASE WHEN c.status NOT IN {CONTRIBUTING} THEN 0
                  ELSE floor(greatest(
                    CASE WHEN c.discount->>'duration' = 'forever' AND g.gross > 0 THEN
                      CASE WHEN c.discount->>'percent_off' IS NOT NULL
                             THEN g.gross * (1 - (c.discount->>'percent_off')::numeric / 100)
                           WHEN c.discount->>'amount_off' IS NOT NULL
                             THEN g.gross - (c.discount->>'amount_off')::numeric
                                            * coalesce(g.periods, 1)
                           ELSE g.gross END
                    ELSE g.gross END, 0) + 0.5 + 1e-20)::bigint END AS native
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
    counted AS (
      SELECT customer_id, valid_from,
             CASE WHEN currency = :cur THEN native ELSE 0 END AS mrr,
             subscription_id
      FROM priced
    ),
    points AS (
      SELECT customer_id, at, delta FROM (
        SELECT customer_id, valid_from AS at,
               sum(mrr - coalesce(prev, 0)) AS delta
        FROM (SELECT *, lag(mrr) OVER (PARTITION BY subscription_id ORDER BY valid_from) AS prev
              FROM counted) x
        GROUP BY customer_id, valid_from) y
      WHERE delta <> 0
    ),
    running AS (
      SELECT customer_id, at, delta,
             sum(delta) OVER (PARTITION BY customer_id ORDER BY at) AS after
      FROM points
    ),
    changes AS (
      SELECT at, after - delta AS before, after,
             coalesce(bool_or(after > 0) OVER (PARTITION BY customer_id ORDER BY at
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS had_mrr
      FROM running
    ),
    per_customer AS (
      SELECT customer_id,
             sum(delta) AS e,
             coalesce(sum(delta) FILTER (WHERE at < :s0), 0) AS s0,
             coalesce(sum(delta) FILTER (WHERE at < :s1), 0) AS s1,
             coalesce(sum(delta) FILTER (WHERE at < :s2), 0) AS s2,
             coalesce(sum(delta) FILTER (WHERE at < :s3), 0) AS s3,
             coalesce(sum(delta) FILTER (WHERE at < :rolling_month), 0) AS r,
             coalesce(sum(delta) FILTER (WHERE at < :half_year), 0) AS h,
             coalesce(sum(delta) FILTER (WHERE at < :year_end), 0) AS y
      FROM points GROUP BY customer_id
    ),
    latest AS (
      SELECT DISTINCT ON (subscription_id) currency, native, status, items
      FROM priced ORDER BY subscription_id, valid_from DESC
    )
    SELECT
      (SELECT json_build_array(
         coalesce(sum(after) FILTER (WHERE before = 0 AND after > 0 AND NOT had_mrr), 0),
         coalesce(sum(after - before) FILTER (WHERE before > 0 AND after > before), 0),
         coalesce(sum(before - after) FILTER (WHERE after > 0 AND after < before), 0),
         coalesce(sum(before) FILTER (WHERE before > 0 AND after = 0), 0),
         coalesce(sum(after) FILTER (WHERE before = 0 AND after > 0 AND had_mrr), 0))
       FROM changes WHERE at >= :s0) AS movements,
      (SELECT json_build_array(
         coalesce(sum(e), 0), coalesce(sum(s0), 0), coalesce(sum(r), 0), coalesce(sum(h), 0),
         count(*) FILTER (WHERE e > 0), count(*) FILTER (WHERE s0 > 0),
         count(*) FILTER (WHERE s0 > 0 AND e = 0),
         count(*) FILTER (WHERE s3 > 0), count(*) FILTER (WHERE s3 > 0 AND s2 = 0),
         count(*) FILTER (WHERE s2 > 0), count(*) FILTER (WHERE s2 > 0 AND s1 = 0),
         count(*) FILTER (WHERE s1 > 0), count(*) FILTER (WHERE s1 > 0 AND s0 = 0),
         coalesce(sum(y), 0), coalesce(sum(e) FILTER (WHERE y > 0), 0),
         coalesce(sum(least(e, y)) FILTER (WHERE y > 0), 0))
       FROM per_customer) AS customers,
      (SELECT coalesce(json_object_agg(currency, total), '{{}}') FROM (
         SELECT currency, sum(native) AS total FROM latest GROUP BY currency
         HAVING sum(native) <> 0) t) AS by_currency,
      (SELECT count(*) FROM latest
       WHERE status IN {CONTRIBUTING} AND EXISTS (
         SELECT 1 FROM jsonb_array_elements(items) i
         WHERE i->>'unit_amount' IS NULL
           AND coalesce(i->>'usage_type', 'licensed') <> 'metered')) AS unpriced
    """
)


def resolve_currency(conn: Connection, business_id: uuid.UUID) -> str | None:
    value = conn.execute(_CURRENCY, {"b": business_id}).scalar()
    return value.lower() if value else None


def ledger_aggregates(
    conn: Connection, business_id: uuid.UUID, periods: Periods, currency: str | None
) -> Aggregates:
    """Every aggregate the metrics need, as of `periods.as_of`, in `currency`."""
    first = periods.scanned_months[0]
    p: dict[str, Any] = {
        "b": business_id,
        "cur": currency or "",
        "end": periods.end,
        "scan_start": periods.scan_start,
        "first_month": first.year * 12 + first.month,
        "year_start": periods.year_start,
        "trailing": periods.trailing_start,
        "rolling_month": periods.rolling_month_start,
        "half_year": periods.half_year_start,
        "month_start": periods.month_start,
        "month_or_trailing_start": min(periods.month_start, periods.trailing_start),
        "s0": periods.month_start,
        "s1": periods.month_start_back(1),
        "s2": periods.month_start_back(2),
        "s3": periods.month_start_back(3),
        "year_end": periods.year_earlier_end,
        "yoy_start": periods.quarter_year_earlier[0],
        "yoy_end": periods.quarter_year_earlier[1],
    }
    sales = conn.execute(_SALES, p).one()
    months = [MonthTotals() for _ in range(MONTHS_SCANNED)]
    for idx, gross, count, unconverted in sales.months:
        months[idx] = MonthTotals(int(gross), int(count), int(unconverted))
    parties_count, top1, sum_squares = sales.parties
    refunds = conn.execute(_REFUNDS, p).one()
    disputes = conn.execute(_DISPUTES, p).one()
    payouts = conn.execute(_PAYOUTS, p).one()
    data_through: datetime | None = conn.execute(_DATA_THROUGH, p).scalar()
    synced: datetime | None = conn.execute(_LAST_SYNC, p).scalar()
    year_earlier_quarter = int(conn.execute(_YEAR_EARLIER_QUARTER, p).scalar_one())
    return Aggregates(
        currency=currency,
        months=tuple(months),
        gross_12m=int(sales.year_totals[0]),
        unconverted_12m=int(sales.year_totals[1]),
        gross_90d=int(sales.trailing[0]),
        charges_90d=int(sales.trailing[1]),
        charges_30d=int(sales.trailing[2]),
        refunded_month=int(refunds[0]),
        refunded_90d=int(refunds[1]),
        unconverted_refunds=int(refunds[2]),
        disputes_month=int(disputes[0]),
        disputed_amount_month=int(disputes[1]),
        unconverted_disputes=int(disputes[2]),
        disputes_won_month_amount=int(disputes[3]),
        disputes_90d=int(disputes[4]),
        inquiries_month=int(disputes[5]),
        disputes_30d=int(disputes[6]),
        payouts_paid_90d=int(payouts[0]),
        payouts_failed_90d=int(payouts[1]),
        payout_paid_streak=int(payouts[2]),
        last_payout_failure=payouts[3],
        customers_12m=int(parties_count),
        buyers_12m=int(sales.repeat[0]),
        repeat_buyers_12m=int(sales.repeat[1]),
        repeat_volume_12m=int(sales.repeat[2]),
        top1_12m=int(top1),
        top5_12m=int(sales.top5),
        sum_squares_12m=int(sum_squares),
        volume_by_currency_12m={k: int(v) for k, v in sales.by_currency.items()},
        first_charge=sales.first_charge,
        data_through=data_through,
        last_synced=synced,
        gross_quarter_year_earlier=year_earlier_quarter,
        mrr=_mrr(conn, p),
    )


def _mrr(conn: Connection, p: dict[str, Any]) -> MrrAggregates:
    row = conn.execute(_MRR, p).one()
    new, expansion, contraction, churn, reactivation = (int(x) for x in row.movements)
    c = [int(x) for x in row.customers]
    return MrrAggregates(
        mrr_end=c[0],
        mrr_month_start=c[1],
        mrr_rolling_month_start=c[2],
        mrr_half_year_start=c[3],
        paying_end=c[4],
        paying_month_start=c[5],
        churned_month=c[6],
        movements=MrrMovements(new, expansion, contraction, churn, reactivation),
        starting_3m=(c[7], c[9], c[11]),
        churned_3m=(c[8], c[10], c[12]),
        mrr_year_earlier=c[13],
        retained_mrr=c[14],
        retained_mrr_capped=c[15],
        mrr_by_currency={k: int(v) for k, v in row.by_currency.items()},
        unpriced_subscriptions=int(row.unpriced),
    )
