"""What PostgreSQL would refuse in a row, found before any SQL runs.

A value PostgreSQL cannot hold (an integer beyond its column's range, a string longer than its
`varchar(n)`, a NUL character, a lone surrogate, a time outside what Python's datetime and
`timestamptz` hold, a NaN inside JSON) otherwise fails the whole statement, and with it every other
row of the batch — for a webhook, a 5xx that every redelivery repeats. Checking first makes such a
row a refusal with its reason.

Every check is derived from the column definitions in `Base.metadata`: a new column or a new length
needs no change here; a column of a type no check knows fails loudly when its table is first checked.

Rows are as `vaultra.stripe.mapping` produces them: times as unix seconds, JSON columns as Python
values, tenant and version columns not yet added (the writer adds them; see `FILLED_BY_WRITER`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from typing import Any

from pgvector.sqlalchemy import VECTOR
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.types import ARRAY, JSON

from vaultra.db.models import Base

# Python's datetime holds years 1 to 9999 and the writer converts times with it; PostgreSQL's
# timestamptz holds more (4713 BC to 294276 AD), so Python's range is the one that binds.
UNIX_TIME_MIN = int(datetime(1, 1, 1, tzinfo=UTC).timestamp())
UNIX_TIME_MAX = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())

# Added to every ledger row by `ledger_writer.Batch.add` / `write_batch` (`created` too, when an
# object carries none), so a mapped row may lack them although they are NOT NULL.
FILLED_BY_WRITER = frozenset({"business_id", "livemode", "version_at", "version_key", "created"})

# JSON values stored by the ledger are Stripe objects' fields; PostgreSQL reads them back with
# casts (`->>` then `::numeric`, `::int`), and nests far less than this.
JSON_MAX_DEPTH = 32
_INT_BITS: dict[type[Integer], int] = {SmallInteger: 16, BigInteger: 64, Integer: 32}
_JSON_INT_BITS = 64
_SHOWN_CHARACTERS = 40

Check = Callable[[Any], str | None]


class InvalidRow(ValueError):
    """A row PostgreSQL would refuse. The message names the table, the row, the column and why."""

    def __init__(self, table: str, row_id: Any, column: str, problem: str) -> None:
        self.table = table
        self.row_id = row_id
        self.column = column
        self.problem = problem
        row = "" if row_id is None else f" {label(row_id)}"
        field = f"`{column}` " if column else ""
        super().__init__(f"{table}{row}: {field}{problem}")


# --- Describing values in messages --------------------------------------------------------------
# Messages are stored in a `text` column and logged: they must never carry a NUL, a lone surrogate
# or a megabyte of someone else's input. `ascii()` escapes the first two; lengths are cut.


def _shown(value: str, limit: int) -> str:
    """At most `limit` characters of `value`, escaped to ASCII, with `…` if cut."""
    escaped = ascii(value[:limit])[1:-1]
    if len(escaped) > limit or len(value) > limit:
        return escaped[:limit] + "…"
    return escaped


def label(value: Any) -> str:
    """An id (or anything in its place) as a short, storable piece of text."""
    if isinstance(value, str):
        return _shown(value, 64)
    return describe(value)


def describe(value: Any) -> str:
    """A JSON value in words, short and storable: `'abc' (a string)`, `true (a boolean)`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int):
        if value.bit_length() > 128:
            return f"a {value.bit_length()}-bit integer"
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARACTERS:
            shown = _shown(value, _SHOWN_CHARACTERS)
            return f"'{shown}' (a string of {len(value)} characters)"
        return f"'{_shown(value, _SHOWN_CHARACTERS)}' (a string)"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def text_problem(value: str) -> str | None:
    """Why PostgreSQL's text types (and jsonb strings) cannot hold `value`, or None."""
    if "\x00" in value:
        return "contains a NUL character, which PostgreSQL text cannot hold"
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        return f"contains a lone surrogate (U+{code:04X} at {exc.start}), which is not UTF-8"
    return None


# --- One check per column type ------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(bits: int) -> Check:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(value: Any) -> str | None:
        if not _is_int(value):
            return f"is {describe(value)}, expected an integer"
        if not low <= value <= high:
            return f"is {describe(value)}, beyond the {bits}-bit integer column ({low} to {high})"
        return None

    return check


def _numeric(precision: int | None, scale: int | None) -> Check:
    def check(value: Any) -> str | None:
        if not _is_finite_number(value):
            return f"is {describe(value)}, expected a finite number"
        if precision is None:
            return None
        whole_digits = precision - (scale or 0)
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        # PostgreSQL rounds to the scale (half away from zero) before it checks the precision.
        if abs(exact) < 10**whole_digits:
            with localcontext() as context:
                context.prec = precision + 2
                rounded = exact.quantize(Decimal(1).scaleb(-(scale or 0)), ROUND_HALF_UP)
            if abs(rounded) < 10**whole_digits:
                return None
        return (
            f"is {describe(value)}, beyond numeric({precision}, {scale}) (below 10^{whole_digits})"
        )

    return check


def _is_finite_number(value: Any) -> bool:
    """An int (any size: `math.isfinite` would overflow on a huge one) or a finite float."""
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _float(value: Any) -> str | None:
    return None if _is_finite_number(value) else f"is {describe(value)}, expected a finite number"


def _unix_time(value: Any) -> str | None:
    if not (_is_int(value) or isinstance(value, float)):
        return f"is {describe(value)}, expected a unix time in seconds"
    if not (_is_finite_number(value) and UNIX_TIME_MIN <= value <= UNIX_TIME_MAX):
        return (
            f"is {describe(value)}, expected a unix time between {UNIX_TIME_MIN} and "
            f"{UNIX_TIME_MAX} (years 1 to 9999)"
        )
    return None


def _date(value: Any) -> str | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return None
    if isinstance(value, str) and value.isascii():
        try:
            date.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"is {describe(value)}, expected a date"


def _string(length: int | None) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"is {describe(value)}, expected a string"
        if length is not None and len(value) > length:
            return f"is {describe(value)}, longer than the column's {length} characters"
        return text_problem(value)

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"is {describe(value)}, expected a boolean"


def _uuid(value: Any) -> str | None:
    if isinstance(value, uuid.UUID):
        return None
    if isinstance(value, str) and value.isascii():
        try:
            uuid.UUID(value)
            return None
        except ValueError:
            pass
    return f"is {describe(value)}, expected a UUID"


def _bytes(value: Any) -> str | None:
    return None if isinstance(value, bytes) else f"is {describe(value)}, expected bytes"


_json_integer = _integer(_JSON_INT_BITS)


def json_problem(value: Any) -> str | None:
    """Why `value` cannot be stored as jsonb, or None. Iterative: the depth is bounded, not the
    interpreter's stack. Keys and strings must be text PostgreSQL holds (jsonb refuses \\u0000),
    numbers finite (NaN is not JSON) and integers 64-bit (read back with casts)."""
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    while pending:
        item, path, depth = pending.pop()
        where = f"at `{_shown(path, 100)}` " if path else ""
        if depth > JSON_MAX_DEPTH:
            return f"{where}nests deeper than {JSON_MAX_DEPTH} levels"
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            problem = text_problem(item)
        elif _is_int(item):
            problem = _json_integer(item)
        elif isinstance(item, float):
            problem = _float(item)
        elif isinstance(item, list):
            pending.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(item))
            continue
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str) or text_problem(key):
                    return f"{where}has a key {describe(key)}, expected a string PostgreSQL holds"
                pending.append((v, f"{path}.{label(key)}" if path else label(key), depth + 1))
            continue
        else:
            problem = f"is {describe(item)}, which is not a JSON value"
        if problem:
            return where + problem
    return None


def _array(item: Check) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list | tuple):
            return f"is {describe(value)}, expected a list"
        for i, element in enumerate(value):
            problem = item(element) if element is not None else "is null, expected a value"
            if problem:
                return f"at [{i}] {problem}"
        return None

    return check


# pgvector's limit on a stored vector's dimensions
_VECTOR_MAX_DIMENSIONS = 16_000


def _vector(value: Any) -> str | None:
    if not isinstance(value, list | tuple) or not value:
        return "is not a non-empty list of numbers"
    if len(value) > _VECTOR_MAX_DIMENSIONS:
        return f"has {len(value)} dimensions, more than pgvector's {_VECTOR_MAX_DIMENSIONS}"
    if not all(
        isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in value
    ):
        return "holds something other than finite numbers"
    return None


def _generated(value: Any) -> str | None:
    return "is computed by the database from the row's other columns, never written"


def _checker_for(column: Column[Any]) -> Check:
    if column.computed is not None:
        return _generated
    return _checker_of(column.type, f"{column.table.name}.{column.name}")


def _checker_of(kind: Any, where: str) -> Check:
    if isinstance(kind, ARRAY):
        return _array(_checker_of(kind.item_type, f"{where}[]"))
    if isinstance(kind, Boolean):
        return _boolean
    if isinstance(kind, Integer):
        return _integer(next(b for t, b in _INT_BITS.items() if isinstance(kind, t)))
    if isinstance(kind, Float):
        return _float
    if isinstance(kind, Numeric):
        return _numeric(kind.precision, kind.scale)
    if isinstance(kind, DateTime):
        return _unix_time
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, String):
        return _string(kind.length)
    if isinstance(kind, JSON):
        return json_problem
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, LargeBinary):
        return _bytes
    if isinstance(kind, VECTOR):
        return _vector
    raise TypeError(f"no row check knows {where} ({kind!r})")


# --- Tables -------------------------------------------------------------------------------------


@cache
def _table_checks(table_name: str) -> dict[str, tuple[Check, bool]]:
    """Column name → (its check, whether it may be null), from the table's definition."""
    table = Base.metadata.tables.get(table_name)
    if table is None:
        raise InvalidRow(table_name, None, "", "is not a table of the schema")
    return {c.name: (_checker_for(c), bool(c.nullable)) for c in table.columns}


@cache
def _row_id_column(table_name: str) -> str:
    """The column that names a row in messages: its first key column other than the tenant."""
    keys = [c.name for c in Base.metadata.tables[table_name].primary_key.columns]
    return next((name for name in keys if name != "business_id"), keys[0])


def column_problem(table_name: str, column_name: str, value: Any) -> str | None:
    """Why PostgreSQL would refuse `value` in this column, or None (null is judged by the row)."""
    check, _ = _table_checks(table_name)[column_name]
    return None if value is None else check(value)


def check_rows(
    table_name: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    filled_later: frozenset[str] = FILLED_BY_WRITER,
) -> None:
    """Raise InvalidRow for the first value PostgreSQL would refuse in `rows` of `table_name`.

    A missing column counts as null, as `jsonb_populate_recordset` makes it (column defaults do
    not apply there); NOT NULL columns in `filled_later` may be missing. A key that is not a column
    is refused too: the upsert would drop it silently, so it is a mapping mistake.
    """
    checks = _table_checks(table_name)
    id_column = _row_id_column(table_name)
    for row in rows:
        if not isinstance(row, Mapping):
            raise InvalidRow(table_name, None, "", f"a row is {describe(row)}, expected a mapping")
        row_id = row.get(id_column)
        for name in row:
            if name not in checks:
                raise InvalidRow(table_name, row_id, label(name), "is not a column of the table")
        for name, value in row.items():
            problem = None if value is None else checks[name][0](value)
            if problem:
                raise InvalidRow(table_name, row_id, name, problem)
        for name, (_, nullable) in checks.items():
            if row.get(name) is None and not nullable and name not in filled_later:
                raise InvalidRow(table_name, row_id, name, "is null, but the column is NOT NULL")


def check_mapped(mapped: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """`check_rows` for every table of a mapping result (`{table: [row, ...]}`)."""
    for table_name, rows in mapped.items():
        check_rows(table_name, rows)
