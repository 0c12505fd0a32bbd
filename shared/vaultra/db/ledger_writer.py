"""Set-based upserts of normalized Stripe rows into the ledger.

One statement per table per batch: rows travel as one JSON array, are expanded by
`jsonb_to_recordset`, reduced to the newest version per key (`DISTINCT ON`), and merged with
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
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, DateTime, Integer, Numeric, Table, text
from sqlalchemy.dialects.postgresql import JSONB

from vaultra.db.models import LEDGER_TABLES, Base

STATES_TABLE = "subscription_states"

# Columns filled by the writer, not by the mappers.
_TENANT_COLUMNS = ("business_id", "livemode")
_MERGED_COLUMNS: dict[str, dict[str, str]] = {
    "*": {"created": "LEAST(t.created, excluded.created)"},
    "disputes": {"closed_at": "LEAST(t.closed_at, excluded.closed_at)"},
}


@dataclass
class Batch:
    """Rows for one business, gathered from any number of objects, each with its version."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    objects: int = 0

    def add(
        self, mapped: dict[str, list[dict[str, Any]]], version_at: float, version_key: str
    ) -> None:
        self.objects += 1
        for table, table_rows in mapped.items():
            for row in table_rows:
                row["version_at"] = version_at
                row["version_key"] = version_key
                self.rows[table].append(row)

    def __bool__(self) -> bool:
        return any(self.rows.values())


def _recordset_type(column: Any) -> str:
    """How a column travels inside the JSON batch: times as unix seconds."""
    col_type = column.type
    if isinstance(col_type, DateTime):
        return "double precision"
    if isinstance(col_type, JSONB):
        return "jsonb"
    if isinstance(col_type, BigInteger | Integer):
        return "bigint"
    if isinstance(col_type, Boolean):
        return "boolean"
    if isinstance(col_type, Numeric):
        return "numeric"
    return "text"


def _select_expr(column: Any) -> str:
    if column.name == "created" and "version_at" in column.table.columns:
        # A deleted customer's event carries no `created`: the earliest known time stands in
        # until an older state tells the real one (see the LEAST merge).
        return "to_timestamp(COALESCE(r.created, r.version_at))"
    if isinstance(column.type, DateTime):
        return f"to_timestamp(r.{column.name})"
    return f"r.{column.name}"


@cache
def _upsert_sql(table_name: str) -> str:
    table: Table = Base.metadata.tables[table_name]
    data_cols = [c for c in table.columns if c.name not in _TENANT_COLUMNS]
    recordset = ", ".join(f"{c.name} {_recordset_type(c)}" for c in data_cols)
    insert_cols = ", ".join(c.name for c in table.columns)
    pk = [c.name for c in table.primary_key.columns]
    key_cols = [c for c in pk if c != "business_id"]
    select = ", ".join(
        ":business_id"
        if c.name == "business_id"
        else ":livemode"
        if c.name == "livemode"
        else _select_expr(c)
        for c in table.columns
    )
    distinct = ", ".join(f"r.{c}" for c in key_cols)
    newest_first = (
        ", r.version_at DESC, r.version_key DESC" if "version_at" in table.columns else ""
    )
    head = (
        f"INSERT INTO {table_name} AS t ({insert_cols}) "
        f"SELECT DISTINCT ON ({distinct}) {select} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({recordset}) "
        f"ORDER BY {distinct}{newest_first} "
        f"ON CONFLICT ({', '.join(pk)}) DO "
    )
    if table_name == STATES_TABLE:
        return head + "NOTHING"  # history is insert-only

    newer = "(t.version_at, t.version_key) < (excluded.version_at, excluded.version_key)"
    merged = {**_MERGED_COLUMNS["*"], **_MERGED_COLUMNS.get(table_name, {})}
    sets = []
    for c in table.columns:
        if c.name in pk or c.name in _TENANT_COLUMNS:
            continue
        if c.name in merged:
            sets.append(f"{c.name} = {merged[c.name]}")
        else:
            sets.append(f"{c.name} = CASE WHEN {newer} THEN excluded.{c.name} ELSE t.{c.name} END")
    changed = " OR ".join(f"{expr} IS DISTINCT FROM t.{name}" for name, expr in merged.items())
    return head + f"UPDATE SET {', '.join(sets)} WHERE {newer} OR {changed}"


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


def write_batch(conn: Connection, business_id: uuid.UUID, livemode: bool, batch: Batch) -> int:
    """Upsert every row of the batch; returns how many rows were inserted or changed."""
    changed = 0
    for table_name in _ORDER:
        rows = batch.rows.get(table_name)
        if not rows:
            continue
        result = conn.execute(
            text(_upsert_sql(table_name)),
            {"business_id": business_id, "livemode": livemode, "rows": json.dumps(rows)},
        )
        changed += result.rowcount or 0
    sub_ids = sorted({r["id"] for r in batch.rows.get("subscriptions", [])})
    if sub_ids:
        conn.execute(_DELETE_STALE_ITEMS, {"business_id": business_id, "ids": sub_ids})
    return changed
