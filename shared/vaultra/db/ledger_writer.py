"""Set-based upserts of normalized Stripe rows into the ledger.

One statement per table per batch: rows travel as one JSON array, are expanded into the table's
own row type by `jsonb_populate_recordset`, reduced to the newest version per key (`DISTINCT ON`), and merged with
`INSERT … ON CONFLICT DO UPDATE`. A stored row is replaced only by a strictly newer version
`(version_at, version_key)`, so applying the same rows in any order, any number of times, gives
the same ledger. A few columns merge regardless of version because they only ever become known:
`created` (the earliest known value; a deleted customer's event carries none) and a dispute's
`closed_at` (the earliest moment it was seen closed).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, DateTime, Table, text

from vaultra.db.models import LEDGER_TABLES, Base
from vaultra.db.prepared import run_prepared
from vaultra.db.row_checks import InvalidRow, check_mapped

__all__ = ["Batch", "InvalidRow", "write_batch"]

STATES_TABLE = "subscription_states"

# Tables with columns that merge regardless of version (every other table is newer-wins whole).
_MERGED_COLUMNS: dict[str, dict[str, str]] = {
    "customers": {"created": "LEAST(t.created, excluded.created)"},
    "disputes": {"closed_at": "LEAST(t.closed_at, excluded.closed_at)"},
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


@cache
def _upsert_sql(table_name: str) -> str:
    """Short on purpose: the driver scans a statement's whole text at every execution."""
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
        return head + "NOTHING RETURNING 1"  # history is insert-only

    newer = "(t.version_at, t.version_key) < (excluded.version_at, excluded.version_key)"
    columns = [c.name for c in table.columns if c.name not in pk and c.name != "livemode"]
    merged = _MERGED_COLUMNS.get(table_name)
    if merged is None:
        targets = ", ".join(columns)
        values = ", ".join(f"excluded.{c}" for c in columns)
        return head + f"UPDATE SET ({targets}) = ROW({values}) WHERE {newer} RETURNING 1"
    sets = ", ".join(
        f"{c} = {merged[c]}"
        if c in merged
        else f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE t.{c} END"
        for c in columns
    )
    changed = " OR ".join(f"{expr} IS DISTINCT FROM t.{name}" for name, expr in merged.items())
    return head + f"UPDATE SET {sets} WHERE {newer} OR {changed} RETURNING 1"


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


def write_batch(conn: Connection, business_id: uuid.UUID, livemode: bool, batch: Batch) -> int:
    """Upsert every row of the batch; returns how many rows were inserted or changed."""
    changed = 0
    for table_name in _ORDER:
        rows = batch.rows.get(table_name)
        if not rows:
            continue
        _merge_within_batch(table_name, rows)
        tenant = {"business_id": str(business_id), "livemode": livemode}
        payload = json.dumps([{**row, **tenant} for row in rows])
        changed += len(run_prepared(conn, _upsert_sql(table_name), rows=payload))
    sub_ids = sorted({r["id"] for r in batch.rows.get("subscriptions", [])})
    if sub_ids:
        conn.execute(_DELETE_STALE_ITEMS, {"business_id": business_id, "ids": sub_ids})
    return changed
