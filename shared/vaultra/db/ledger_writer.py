"""Set-based upserts of normalized Stripe rows into the ledger.

One statement per table per batch: rows travel as one JSON array, are expanded into the table's
own row type by `jsonb_populate_recordset`, reduced to the newest version per key (`DISTINCT ON`), and merged with
`INSERT … ON CONFLICT DO UPDATE`. A stored row is replaced only by a strictly newer version
`(version_at, version_key)`, so applying the same rows in any order, any number of times, gives
the same ledger. A few columns merge regardless of version because they only ever become known:
`created` (the earliest known value; a deleted customer's event carries none) and a dispute's
`closed_at` (the earliest moment it was seen closed).

Subscription states are also priced here, once, when they arrive: every write that inserts states,
or writes invoices that bill usage-priced items (metered or tiered prices, whose MRR is what they
were last billed), replaces the `subscription_mrr_changes` rows of their subscriptions in the same
transaction (`refresh_mrr_changes`), so the metrics read MRR changes instead of pricing the whole
history on every computation, and the two can never disagree.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, DateTime, Table, text

from vaultra.db.models import LEDGER_TABLES, Base
from vaultra.db.prepared import run_prepared
from vaultra.db.row_checks import InvalidRow, check_mapped
from vaultra.domain.mrr import CONTRIBUTING_STATUSES, UNBILLED_INVOICE_STATUSES

__all__ = ["Batch", "InvalidRow", "Written", "refresh_mrr_changes", "write_batch"]

STATES_TABLE = "subscription_states"

# Tables with columns that merge regardless of version (every other table is newer-wins whole).
_MERGED_COLUMNS: dict[str, dict[str, str]] = {
    "customers": {"created": "LEAST(t.created, excluded.created)"},
    "disputes": {"closed_at": "LEAST(t.closed_at, excluded.closed_at)"},
}


# Columns no metric reads (tests/db/test_ledger_writer_past_changes.py keeps the list honest): a
# newer version that changes only these — a charge's refunded total and flags after a refund or a
# dispute — is written like any other, but is not a change to a past day. Without this, every
# refund of an old charge would recompute every stored day since the charge (late data).
NOT_METRIC_INPUTS: dict[str, tuple[str, ...]] = {
    "charges": ("amount_refunded", "refunded", "disputed"),
}


@cache
def _time_columns(table_name: str) -> tuple[str, ...]:
    table = Base.metadata.tables[table_name]
    return tuple(c.name for c in table.columns if isinstance(c.type, DateTime))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass
class Batch:
    """Rows for one business, gathered from any number of objects, each with its version.

    Rows are kept as the JSON-ready dicts `jsonb_populate_recordset` reads: times as ISO 8601.
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    objects: int = 0

    def add(
        self, mapped: dict[str, list[dict[str, Any]]], version_at: float, version_key: str
    ) -> None:
        """Add one object's rows; raises `InvalidRow` (adding nothing) when PostgreSQL would
        refuse any of them, so one bad object never fails the statement of a whole batch."""
        check_mapped(mapped)  # before the rows are changed below (versions, ISO times)
        self.objects += 1
        for table, table_rows in mapped.items():
            times = _time_columns(table)
            for row in table_rows:
                row["version_key"] = version_key
                if table in LEDGER_TABLES:
                    row["version_at"] = version_at
                    # A deleted customer's event carries no `created`: the earliest time known
                    # stands in until an older state tells the real one (see the LEAST merge).
                    if row.get("created") is None:
                        row["created"] = version_at
                for name in times:
                    value = row.get(name)
                    if value is not None:
                        row[name] = _iso(value)
                self.rows[table].append(row)

    def __bool__(self) -> bool:
        return any(self.rows.values())


class Written(NamedTuple):
    """What a write changed: how many rows were inserted or changed, and the earliest moment any
    of them is about (None: nothing changed) — the first day whose metrics it can change."""

    changed: int
    earliest: datetime | None


def _earliest_of(table_name: str) -> str:
    """The earliest moment a row is about: the least of its own times (its `created`, a dispute's
    closing, a line's service period…), never its version. A metric reads a row only from a day
    at or after one of these, so no day before it can change."""
    times = [f"t.{c}" for c in _time_columns(table_name) if c != "version_at"]
    return times[0] if len(times) == 1 else f"LEAST({', '.join(times)})"


def _summarized(upsert: str, table_name: str, key: str | None) -> str:
    """The upsert, answering one row: how many rows it inserted or changed, the earliest moment
    they are about, and (with `key`) the distinct keys of those rows. One row rather than one per
    row written: the driver parses every value it receives, and a batch writes a thousand rows."""
    returning = f"{_earliest_of(table_name)} AS e" + (f", {key} AS k" if key else "")
    keys = ", array_agg(DISTINCT k)" if key else ""
    return f"WITH w AS ({upsert} RETURNING {returning}) SELECT count(*), min(e){keys} FROM w"


@cache
def _upsert_sql(table_name: str, *, inputs_changed: bool = False) -> str:
    """Short on purpose: the driver scans a statement's whole text at every execution.

    `inputs_changed` (a table of `NOT_METRIC_INPUTS`): only new rows, and newer versions that
    change a column the metrics read, are written."""
    table: Table = Base.metadata.tables[table_name]
    pk = [c.name for c in table.primary_key.columns]
    keys = ", ".join(f"r.{c}" for c in pk if c != "business_id")
    newest_first = (
        ", r.version_at DESC, r.version_key DESC" if "version_at" in table.columns else ""
    )
    head = (
        f"INSERT INTO {table_name} AS t SELECT DISTINCT ON ({keys}) r.* "
        f"FROM jsonb_populate_recordset(NULL::{table_name}, CAST(:rows AS jsonb)) r "
        f"ORDER BY {keys}{newest_first} ON CONFLICT ({', '.join(pk)}) DO "
    )
    if table_name == STATES_TABLE:
        # History is insert-only; the subscriptions that got a new state are re-priced.
        return _summarized(head + "NOTHING", table_name, "subscription_id")

    newer = "(t.version_at, t.version_key) < (excluded.version_at, excluded.version_key)"
    columns = [c.name for c in table.columns if c.name not in pk and c.name != "livemode"]
    merged = _MERGED_COLUMNS.get(table_name)
    if merged is None:
        targets = ", ".join(columns)
        values = ", ".join(f"excluded.{c}" for c in columns)
        where = newer
        if inputs_changed:
            ignored = {*NOT_METRIC_INPUTS[table_name], "version_at", "version_key"}
            inputs = [c for c in columns if c not in ignored]
            where += (
                f" AND ROW({', '.join(f't.{c}' for c in inputs)}) "
                f"IS DISTINCT FROM ROW({', '.join(f'excluded.{c}' for c in inputs)})"
            )
        # Invoices written (a new one, or a new status) may bill usage: their subscriptions are
        # re-priced (`_BILLED_SUBSCRIPTIONS`).
        upsert = head + f"UPDATE SET ({targets}) = ROW({values}) WHERE {where}"
        return _summarized(upsert, table_name, _INVOICE_OF.get(table_name))
    sets = ", ".join(
        f"{c} = {merged[c]}"
        if c in merged
        else f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE t.{c} END"
        for c in columns
    )
    changed = " OR ".join(f"{expr} IS DISTINCT FROM t.{name}" for name, expr in merged.items())
    return _summarized(head + f"UPDATE SET {sets} WHERE {newer} OR {changed}", table_name, None)


_INVOICE_OF = {"invoices": "t.id", "invoice_lines": "t.invoice_id"}

# Items no longer in their subscription's newest snapshot were removed from it.
_DELETE_STALE_ITEMS = text(
    "DELETE FROM subscription_items si USING subscriptions s "
    "WHERE si.business_id = :business_id AND s.business_id = si.business_id "
    "AND s.id = si.subscription_id AND s.id = ANY(CAST(:ids AS text[])) "
    "AND (si.version_at, si.version_key) < (s.version_at, s.version_key)"
)

# Tables in an order that never references a row written later in the batch (no FKs among
# ledger tables today, but the order also keeps lock order stable across concurrent writers).
_ORDER = [*LEDGER_TABLES, STATES_TABLE]


def _merge_within_batch(table_name: str, rows: list[dict[str, Any]]) -> None:
    """Apply the version-independent merges among the batch's own rows: `DISTINCT ON` keeps only
    the newest version of a key, which must already carry the earliest merged values."""
    merged = _MERGED_COLUMNS.get(table_name)
    if not merged:
        return
    earliest: dict[tuple[str, str], str] = {}
    for row in rows:
        for column in merged:
            value = row.get(column)
            key = (row["id"], column)
            # ISO 8601 strings of one UTC format order like the instants they name.
            if value is not None and (key not in earliest or value < earliest[key]):
                earliest[key] = value
    for row in rows:
        for column in merged:
            if (row["id"], column) in earliest:
                row[column] = earliest[(row["id"], column)]


def _write_telling_inputs(
    conn: Connection, table_name: str, rows: list[dict[str, Any]], payload: str
) -> tuple[int, datetime | None, list[Any]]:
    """Upsert rows of a table with columns no metric reads. First the new rows and the versions
    that change a metric input (their moments count); then, only if some row was left, the newer
    versions that change other columns alone (written, counted, but about no past day). Each
    statement compares with the row as it stands, locked: no concurrent write falls between."""
    ((count, first, *keys),) = run_prepared(
        conn, _upsert_sql(table_name, inputs_changed=True), rows=payload
    )
    if count < len({row["id"] for row in rows}):
        ((rest, *_),) = run_prepared(conn, _upsert_sql(table_name), rows=payload)
        count += rest
    return count, first, keys


def write_batch(conn: Connection, business_id: uuid.UUID, livemode: bool, batch: Batch) -> Written:
    """Upsert every row of the batch; returns how many rows were inserted or changed, and the
    earliest moment they are about.

    The subscriptions whose MRR may have changed are re-priced in the same transaction: those
    that got a new state, and those billed for usage by an invoice written (its lines are written
    with it, whatever their order of arrival relative to the states)."""
    changed = 0
    earliest: datetime | None = None
    repriced: set[str] = set()
    invoices: set[str] = set()
    for table_name in _ORDER:
        rows = batch.rows.get(table_name)
        if not rows:
            continue
        _merge_within_batch(table_name, rows)
        tenant = {"business_id": str(business_id), "livemode": livemode}
        payload = json.dumps([{**row, **tenant} for row in rows])
        if table_name in NOT_METRIC_INPUTS:
            count, first, keys = _write_telling_inputs(conn, table_name, rows, payload)
        else:
            ((count, first, *keys),) = run_prepared(conn, _upsert_sql(table_name), rows=payload)
        changed += count
        if first is not None:
            earliest = first if earliest is None else min(earliest, first)
        if table_name == STATES_TABLE:
            repriced.update(keys[0] or ())
        elif table_name in _INVOICE_OF:
            invoices.update(keys[0] or ())
    if invoices:
        # After every table is written: the pricing reads the invoices' statuses and the lines.
        billed = run_prepared(conn, _BILLED_SUBSCRIPTIONS, b=business_id, ids=sorted(invoices))
        repriced.update(r[0] for r in billed)
    if repriced:
        refresh_mrr_changes(conn, business_id, sorted(repriced))
    sub_ids = sorted({r["id"] for r in batch.rows.get("subscriptions", [])})
    if sub_ids:
        conn.execute(_DELETE_STALE_ITEMS, {"business_id": business_id, "ids": sub_ids})
    return Written(changed, earliest)


_CONTRIBUTING = "(" + ", ".join(f"'{v}'" for v in sorted(CONTRIBUTING_STATUSES)) + ")"
_UNBILLED = "(" + ", ".join(f"'{v}'" for v in sorted(UNBILLED_INVOICE_STATUSES)) + ")"

# An invoice line that may bill a usage-priced item (metered, or tiered: no unit amount). The
# partial index on `invoice_lines` has this predicate, so a few subscriptions' lines are found
# without reading the business's other lines.
USAGE_LINE = (
    "l.subscription_item_id IS NOT NULL AND NOT l.proration "
    "AND (l.unit_amount IS NULL OR l.usage_type = 'metered')"
)

# Each subscription's states and billed usage → its MRR changes (docs/DATA_MODEL.md,
# `subscription_mrr_changes`): the reading rules choose one state per instant (a state rebuilt
# from invoices counts only before the subscription's first event state; of states at one instant
# the greatest `version_key` wins). A usage-priced item's price is its latest billed line
# (`billed`: from the end of its service period until the next line of the item ends or it goes
# stale, two of its periods later: domain/mrr.py `billed_in_force`), so the subscription is
# priced at every instant where a state begins or a line starts or stops counting (`at`), by
# domain/mrr.py's rule (exact to 40 decimal places, then half up), and each is compared with the
# instant before it. The rules depend on nothing but the subscription's own states and lines,
# whatever the day the metrics are computed for: the first event state is the earliest one, and
# an instant's change depends only on earlier states and lines.
_MRR_CHANGES = f"""
    INSERT INTO subscription_mrr_changes (business_id, subscription_id, at, slot, customer_id,
                                          currency, mrr_delta, unpriced_delta)
    WITH st AS (
      SELECT s.subscription_id, s.customer_id, s.valid_from, s.version_key, s.source, s.status,
             s.currency, s.items, s.discount,
             min(s.valid_from) FILTER (WHERE s.source = 'event')
               OVER (PARTITION BY s.subscription_id) AS first_event
      FROM subscription_states s
      WHERE s.business_id = :b AND {{states}}
    ),
    chosen AS (
      SELECT subscription_id, customer_id, valid_from, status, currency, items, discount,
             row_number() OVER (PARTITION BY subscription_id ORDER BY valid_from) AS n
      FROM (
        SELECT DISTINCT ON (subscription_id, valid_from)
               subscription_id, customer_id, valid_from, status, currency, items, discount
        FROM st
        WHERE source <> 'reconstructed' OR first_event IS NULL OR valid_from < first_event
        ORDER BY subscription_id, valid_from, version_key COLLATE "C" DESC
      ) c
    ),
    lines AS (
      -- Of lines of one item ending at one instant, the latest invoice's (then the greatest id).
      SELECT DISTINCT ON (l.subscription_id, l.subscription_item_id, l.period_end)
             l.subscription_id, l.subscription_item_id AS item_id, l.period_end AS known_from,
             to_timestamp(extract(epoch FROM l.period_end) * 3
                          - extract(epoch FROM l.period_start) * 2) AS stale_from,
             (l.amount::numeric * f.k)::numeric(1000, 40) / (12 * f.ic) AS monthly
      FROM invoice_lines l
      JOIN invoices i ON i.business_id = l.business_id AND i.id = l.invoice_id
      CROSS JOIN LATERAL (
        SELECT CASE l.interval WHEN 'month' THEN 12 WHEN 'year' THEN 1
                               WHEN 'week' THEN 52 WHEN 'day' THEN 365 END AS k,
               coalesce(nullif(l.interval_count, 0), 1) AS ic) f
      WHERE l.business_id = :b AND {{lines}} AND {USAGE_LINE}
        AND coalesce(i.status, '') NOT IN {_UNBILLED}
        AND f.k IS NOT NULL AND l.period_start IS NOT NULL AND l.period_end IS NOT NULL
      ORDER BY l.subscription_id, l.subscription_item_id, l.period_end, l.created DESC,
               l.id COLLATE "C" DESC
    ),
    billed AS (
      SELECT subscription_id, item_id, known_from, monthly,
             least(stale_from, lead(known_from) OVER (PARTITION BY subscription_id, item_id
                                                      ORDER BY known_from)) AS until
      FROM lines
    ),
    instants AS (
      SELECT subscription_id, at, max(n) AS n
      FROM (SELECT subscription_id, valid_from AS at, n FROM chosen
            UNION ALL SELECT subscription_id, known_from, NULL FROM billed
            UNION ALL SELECT subscription_id, until, NULL FROM billed) x
      GROUP BY subscription_id, at
    ),
    at_instants AS (
      -- The chosen state in force at each instant; instants before the first state have none.
      SELECT c.subscription_id, c.customer_id, i.at, c.status, c.currency, c.items, c.discount
      FROM (SELECT subscription_id, at,
                   max(n) OVER (PARTITION BY subscription_id ORDER BY at) AS n
            FROM instants) i
      JOIN chosen c ON c.subscription_id = i.subscription_id AND c.n = i.n
    ),
    items AS (
      SELECT a.subscription_id, a.at, e.ord, e.i,
             coalesce(e.i->>'usage_type', 'licensed') = 'metered'
               OR e.i->>'unit_amount' IS NULL AS by_usage,
             f.k, f.ic
      FROM at_instants a
      CROSS JOIN LATERAL jsonb_array_elements(a.items) WITH ORDINALITY AS e(i, ord)
      CROSS JOIN LATERAL (
        SELECT CASE e.i->>'interval' WHEN 'month' THEN 12 WHEN 'year' THEN 1
                                     WHEN 'week' THEN 52 WHEN 'day' THEN 365 END AS k,
               coalesce(nullif((e.i->>'interval_count')::int, 0), 1) AS ic) f
      WHERE a.status IN {_CONTRIBUTING}
    ),
    gross AS (
      SELECT it.subscription_id, it.at,
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
        ON it.by_usage AND b.subscription_id = it.subscription_id
       AND b.item_id = it.i->>'item_id' AND b.known_from <= it.at AND it.at < b.until
      GROUP BY it.subscription_id, it.at
    ),
    priced AS (
      SELECT a.subscription_id, a.customer_id, a.at, a.currency,
             CASE WHEN a.status NOT IN {_CONTRIBUTING} THEN 0
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
      LEFT JOIN gross g ON g.subscription_id = a.subscription_id AND g.at = a.at
    ),
    ordered AS (
      SELECT *, row_number() OVER w > 1 AS has_prev, lag(native) OVER w AS prev_native,
             lag(currency) OVER w AS prev_currency, lag(unpriced) OVER w AS prev_unpriced
      FROM priced
      WINDOW w AS (PARTITION BY subscription_id ORDER BY at)
    ),
    changes AS (
      SELECT subscription_id, at, 0 AS slot, customer_id, currency,
             native - CASE WHEN has_prev AND prev_currency IS NOT DISTINCT FROM currency
                           THEN prev_native ELSE 0 END AS mrr_delta,
             unpriced - coalesce(prev_unpriced, 0) AS unpriced_delta
      FROM ordered
      UNION ALL
      SELECT subscription_id, at, 1, customer_id, prev_currency, -prev_native, 0
      FROM ordered
      WHERE has_prev AND prev_currency IS DISTINCT FROM currency
    )
    SELECT :b, subscription_id, at, slot, customer_id, currency, mrr_delta, unpriced_delta
    FROM changes
    WHERE mrr_delta <> 0 OR unpriced_delta <> 0
"""
# The subscriptions these invoices bill for usage (a line of a usage-priced item): an invoice
# finalized, paid or voided changes which of its lines count.
_BILLED_SUBSCRIPTIONS = (
    "SELECT DISTINCT l.subscription_id FROM invoice_lines l "
    "WHERE l.business_id = :b AND l.invoice_id = ANY(CAST(:ids AS text[])) "
    f"AND l.subscription_id IS NOT NULL AND {USAGE_LINE}"
)
_SOME = "{t}.subscription_id = ANY(CAST(:ids AS text[]))"
_REPRICE_SOME = _MRR_CHANGES.format(states=_SOME.format(t="s"), lines=_SOME.format(t="l"))
_REPRICE_ALL = text(_MRR_CHANGES.format(states="true", lines="true"))
_FORGET_SOME = (
    "DELETE FROM subscription_mrr_changes "
    "WHERE business_id = :b AND subscription_id = ANY(CAST(:ids AS text[]))"
)
_FORGET_ALL = text("DELETE FROM subscription_mrr_changes WHERE business_id = :b")
# Writers of one subscription's states take turns re-pricing it, each after the other committed
# (a READ COMMITTED statement that starts after the lock sees every state committed before it):
# a lock per subscription, under a business lock that re-pricing them all takes exclusively.
_LOCK_SOME = (
    "WITH business AS MATERIALIZED ("
    "SELECT pg_advisory_xact_lock_shared(hashtextextended(CAST(:b AS text), 7041))) "
    "SELECT count(pg_advisory_xact_lock(hashtextextended(CAST(:b AS text) || '/' || s.id, 7041)))"
    " FROM business, (SELECT unnest(CAST(:ids AS text[])) AS id ORDER BY 1) s"
)
_LOCK_ALL = text("SELECT pg_advisory_xact_lock(hashtextextended(CAST(:b AS text), 7041))")


def refresh_mrr_changes(
    conn: Connection, business_id: uuid.UUID, subscription_ids: Sequence[str] | None = None
) -> None:
    """Recompute the MRR changes of these subscriptions (None: all of the business's) from their
    states and billed usage lines. Call it in the transaction that inserted the states or
    invoices, after inserting them. A few
    subscriptions (a webhook's, a batch's) take three prepared statements."""
    if subscription_ids is None:
        p = {"b": business_id}
        conn.execute(_LOCK_ALL, p)
        conn.execute(_FORGET_ALL, p)
        conn.execute(_REPRICE_ALL, p)
        return
    if not subscription_ids:
        return
    ids = list(subscription_ids)
    for sql in (_LOCK_SOME, _FORGET_SOME, _REPRICE_SOME):
        run_prepared(conn, sql, b=business_id, ids=ids)
