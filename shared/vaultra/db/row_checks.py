"""Checks of mapped ledger rows against the schema, before any SQL (interim: lengths and NUL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String

from vaultra.db.models import Base


class InvalidRow(ValueError):
    """A mapped row PostgreSQL would refuse; the message names table, row and column."""


def check_rows(table_name: str, rows: Iterable[dict[str, Any]]) -> None:
    table = Base.metadata.tables[table_name]
    for row in rows:
        for column in table.columns:
            value = row.get(column.name)
            if isinstance(value, str):
                if "\x00" in value:
                    raise InvalidRow(f"{table_name} {row.get('id')}: `{column.name}` contains NUL")
                length = column.type.length if isinstance(column.type, String) else None
                if length is not None and len(value) > length:
                    raise InvalidRow(
                        f"{table_name} {row.get('id')}: `{column.name}` is longer than {length}"
                    )
