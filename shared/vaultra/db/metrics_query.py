"""The metric aggregates of one business, computed in PostgreSQL with set-based SQL.

Six statements, each one pass over one part of the ledger, all run in the caller's transaction (use
REPEATABLE READ so they read one snapshot). They return a few numbers each; no rows travel to
Python. `vaultra_dev.reference_metrics` is the same policy written record by record; the
property tests hold the two equal. MRR reads `subscription_mrr_changes`, the subscription states
priced by the ledger writer when they were written (`ledger_writer.refresh_mrr_changes`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.domain.metrics.aggregates import (
    Aggregates,
    MonthTotals,
    MrrAggregates,
    MrrMovements,
    SettlementRate,
)
from vaultra.domain.metrics.periods import MONTHS_SCANNED, Periods, midnight
from vaultra.domain.metrics.records import INQUIRY_STATUSES, VOID_REFUND_STATUSES


def _sql_list(values: frozenset[str]) -> str:
    """A policy's status set as an SQL list literal (fixed identifiers, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


INQUIRIES = _sql_list(INQUIRY_STATUSES)
VOID_REFUNDS = _sql_list(VOID_REFUND_STATUSES)

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
# concentration. One pass over the charges, grouped two ways at once: by month and window (a few
# dozen groups), and by party (keys compared bytewise: grouping needs equality, not an order).
_SALES = text(
    """
    WITH g AS MATERIALIZED (
      SELECT GROUPING(party) = 1 AS by_period, idx, y, t, r, currency, party,
             coalesce(sum(amount), 0) AS a, count(*) AS n, count(amount) AS priced,
             count(*) FILTER (WHERE customer) AS nc, sum(amount) FILTER (WHERE customer) AS vc,
             sum(amount_captured) AS native
      FROM (
        SELECT width_bucket(c.created, CAST(:month_starts AS timestamptz[])) - 1 AS idx,
               c.created >= :year_start AS y,
               c.created >= :trailing AS t, c.created >= :rolling_month AS r, c.currency,
               CASE WHEN c.created >= :year_start
                    THEN coalesce(c.customer_id, 'charge:' || c.id) COLLATE "C" END AS party,
               c.customer_id IS NOT NULL AS customer, c.amount_captured,
               CASE WHEN c.currency = :cur THEN c.amount_captured
                    ELSE (SELECT bt.amount FROM balance_transactions bt
                          WHERE bt.business_id = c.business_id AND bt.id = c.balance_transaction_id
                            AND bt.currency = :cur) END AS amount
        FROM charges c
        WHERE c.business_id = :b AND c.created >= :scan_start AND c.created < :end
          AND c.status = 'succeeded' AND c.captured
      ) s
      GROUP BY GROUPING SETS ((idx, y, t, r, currency), (party))
    ),
    periods AS MATERIALIZED (SELECT * FROM g WHERE by_period),
    parties AS MATERIALIZED (
      SELECT a, priced, nc, vc FROM g WHERE NOT by_period AND party IS NOT NULL
    )
    SELECT
      (SELECT coalesce(json_agg(json_build_array(idx, a, n, u)), '[]') FROM (
         SELECT idx, sum(a) AS a, sum(n) AS n, sum(n - priced) AS u
         FROM periods GROUP BY idx) m) AS months,
      (SELECT json_build_array(coalesce(sum(a), 0), coalesce(sum(n - priced), 0),
                               coalesce(sum(n), 0))
         FROM periods WHERE y) AS year_totals,
      (SELECT json_build_array(coalesce(sum(a), 0), coalesce(sum(n), 0),
                               coalesce(sum(n) FILTER (WHERE r), 0))
         FROM periods WHERE t) AS trailing,
      (SELECT coalesce(json_object_agg(currency, a), '{}') FROM (
         SELECT currency, sum(native) AS a FROM periods WHERE y GROUP BY currency) x)
        AS by_currency,
      (SELECT json_build_array(count(*), coalesce(max(a), 0),
                               coalesce(sum(a::numeric * a), 0)::text)
         FROM parties WHERE priced > 0) AS parties,
      (SELECT coalesce(sum(a), 0) FROM (
         SELECT a FROM parties WHERE priced > 0 ORDER BY a DESC LIMIT 5) t) AS top5,
      (SELECT json_build_array(count(*), count(*) FILTER (WHERE nc >= 2),
                               coalesce(sum(vc) FILTER (WHERE nc >= 2), 0))
         FROM parties WHERE nc > 0) AS repeat,
      (SELECT min(created) FROM charges WHERE business_id = :b AND status = 'succeeded'
         AND captured AND created < :end) AS first_charge
    """
)

# Per foreign currency sold in the 12 months ending at D, the rate Stripe applied to its latest sale
# of those months that settled into the account currency: the balance transaction's amount for the
# charge's (docs/METRICS.md, "Currencies"). Few currencies, one index walk back from D each.
_RATES = text(
    """
    SELECT x.currency, r.settled, r.native, r.created
    FROM unnest(CAST(:currencies AS text[])) AS x(currency)
    CROSS JOIN LATERAL (
      SELECT bt.amount AS settled, c.amount_captured AS native, c.created
      FROM charges c
      JOIN balance_transactions bt
        ON bt.business_id = c.business_id AND bt.id = c.balance_transaction_id
      WHERE c.business_id = :b AND c.currency = x.currency
        AND c.created >= :year_start AND c.created < :end
        AND c.status = 'succeeded' AND c.captured AND c.amount_captured > 0
        AND bt.currency = :cur AND bt.amount > 0
      ORDER BY c.created DESC, c.id COLLATE "C" DESC
      LIMIT 1) r
    """
)

# The 12 calendar months before the complete months (24 … 13 months before D's month): each
# month's settled total, as the sales statement reads amounts. They are the year a seasonal pattern
# is read from, and their last three the year-on-year base quarter. One index range scan per month:
# grouped by the month instead, the planner sorted every charge of the year to form 12 groups (it
# cannot estimate the groups of an expression), and filtered sums repeat the settled-amount
# subquery per month; at 1M charges this form takes half their time.
_YEAR_EARLIER_MONTHS = text(
    """
    SELECT json_agg(t.a ORDER BY m.i)
    FROM (SELECT i, start, lead(start, 1, CAST(:year_earlier_end AS timestamptz))
                             OVER (ORDER BY i) AS stop
          FROM unnest(CAST(:year_earlier_month_starts AS timestamptz[]))
               WITH ORDINALITY AS u(start, i)) m
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(CASE WHEN c.currency = :cur THEN c.amount_captured
                          ELSE (SELECT bt.amount FROM balance_transactions bt
                                WHERE bt.business_id = c.business_id
                                  AND bt.id = c.balance_transaction_id
                                  AND bt.currency = :cur) END), 0) AS a
      FROM charges c
      WHERE c.business_id = :b AND c.created >= m.start AND c.created < m.stop
        AND c.status = 'succeeded' AND c.captured
    ) t
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

# MRR: each subscription's MRR changes, as the ledger writer derived them from its states (reading
# rules of docs/DATA_MODEL.md, each chosen state priced by domain/mrr.py's rule: see
# `vaultra.db.ledger_writer.refresh_mrr_changes`), summed into each customer's MRR changes over
# time in the account currency (a state without a currency counts in it); then the customer-level
# values at the instants the metrics need (the end of D, 30 and 180 days before it, the starts of
# D's month and of the three complete months before it, twelve months before D), and the
# movements of the month classified change by change. Every subscription's MRR at the end of D is
# the sum of its changes before it, by currency, and so is its being unpriced.
#
# A subscription billed in a foreign currency with a settlement rate (`_RATES`) counts converted at
# that one rate at every instant (constant currency): its MRR in its currency at each change is the
# running sum of its changes there, converted exactly and rounded half up — ⌊(2·N·settled + native)
# ÷ (2·native)⌋ for N ≥ 0 — and its change is the difference of two such values, so the changes of
# a subscription add up to its converted MRR. Without a rate it is left out (a note says so).
_MRR = text(
    """
    WITH rates AS (
      SELECT * FROM unnest(CAST(:rate_currencies AS text[]), CAST(:rate_settled AS numeric[]),
                           CAST(:rate_native AS numeric[])) AS r(currency, settled, native)
    ),
    converted AS (
      SELECT m.customer_id, m.at,
             div(2 * (sum(m.mrr_delta) OVER w) * r.settled + r.native, 2 * r.native)
             - div(2 * (sum(m.mrr_delta) OVER w - m.mrr_delta) * r.settled + r.native,
                   2 * r.native) AS delta
      FROM subscription_mrr_changes m
      JOIN rates r ON r.currency = m.currency
      WHERE m.business_id = :b AND m.at < :end AND m.mrr_delta <> 0
      WINDOW w AS (PARTITION BY m.subscription_id, m.currency ORDER BY m.at, m.slot)
    ),
    points AS (
      SELECT customer_id, at, sum(delta)::bigint AS delta
      FROM (
        SELECT customer_id, at, mrr_delta AS delta
        FROM subscription_mrr_changes
        WHERE business_id = :b AND at < :end AND mrr_delta <> 0
          AND (currency IS NULL OR currency = :cur)
        UNION ALL
        SELECT customer_id, at, delta FROM converted
      ) x
      GROUP BY customer_id, at
      HAVING sum(delta) <> 0
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
      SELECT coalesce(currency, :cur) AS currency, sum(mrr_delta) AS total,
             sum(unpriced_delta) AS unpriced
      FROM subscription_mrr_changes
      WHERE business_id = :b AND at < :end
      GROUP BY 1
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
      (SELECT coalesce(json_object_agg(currency, total) FILTER (WHERE total <> 0), '{}')
         FROM latest) AS by_currency,
      (SELECT coalesce(sum(unpriced), 0) FROM latest) AS unpriced
    """
)


def resolve_currency(conn: Connection, business_id: uuid.UUID) -> str | None:
    value = conn.execute(_CURRENCY, {"b": business_id}).scalar()
    return value.lower() if value else None


def parameters(business_id: uuid.UUID, periods: Periods, currency: str | None) -> dict[str, Any]:
    """The bound parameters of the aggregate statements (every statement takes the same)."""
    return {
        "b": business_id,
        "cur": currency or "",
        "end": periods.end,
        "scan_start": periods.scan_start,
        "month_starts": [midnight(m) for m in periods.scanned_months],
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
        "year_earlier_month_starts": [midnight(m) for m in periods.year_earlier_months],
        "year_earlier_start": midnight(periods.year_earlier_months[0]),
        "year_earlier_end": midnight(periods.complete_months[0]),
    }


def ledger_aggregates(
    conn: Connection, business_id: uuid.UUID, periods: Periods, currency: str | None
) -> Aggregates:
    """Every aggregate the metrics need, as of `periods.as_of`, in `currency`."""
    p = parameters(business_id, periods, currency)
    sales = conn.execute(_SALES, p).one()
    rates = _rates(conn, p, sorted(c for c in sales.by_currency if c != p["cur"]))
    months = [MonthTotals() for _ in range(MONTHS_SCANNED)]
    for idx, gross, count, unconverted in sales.months:
        months[idx] = MonthTotals(int(gross), int(count), int(unconverted))
    parties_count, top1, sum_squares = sales.parties
    refunds = conn.execute(_REFUNDS, p).one()
    disputes = conn.execute(_DISPUTES, p).one()
    payouts = conn.execute(_PAYOUTS, p).one()
    data_through: datetime | None = conn.execute(_DATA_THROUGH, p).scalar()
    synced: datetime | None = conn.execute(_LAST_SYNC, p).scalar()
    year_earlier = [int(gross) for gross in conn.execute(_YEAR_EARLIER_MONTHS, p).scalar_one()]
    return Aggregates(
        currency=currency,
        months=tuple(months),
        gross_12m=int(sales.year_totals[0]),
        unconverted_12m=int(sales.year_totals[1]),
        charges_12m=int(sales.year_totals[2]),
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
        gross_year_earlier_by_month=tuple(year_earlier),
        rates=rates,
        mrr=_mrr(conn, p, rates),
    )


def _rates(conn: Connection, p: dict[str, Any], currencies: list[str]) -> dict[str, SettlementRate]:
    if not currencies or not p["cur"]:
        return {}
    rows = conn.execute(_RATES, {**p, "currencies": currencies}).all()
    return {r.currency: SettlementRate(int(r.settled), int(r.native), r.created) for r in rows}


def _mrr(conn: Connection, p: dict[str, Any], rates: dict[str, SettlementRate]) -> MrrAggregates:
    currencies = sorted(rates)
    row = conn.execute(
        _MRR,
        {
            **p,
            "rate_currencies": currencies,
            "rate_settled": [rates[c].settled for c in currencies],
            "rate_native": [rates[c].native for c in currencies],
        },
    ).one()
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
