"""Server-side prepared statements for the hot ingest path (pg8000's `prepare`).

The driver rescans a statement's text character by character at every execution, and PostgreSQL
plans it again; for the webhook's few, fixed statements that was most of an event's cost. A
prepared statement is parsed and planned once per pooled connection and then only bound and run:
one round trip, where the driver's unnamed statement costs three (parse, describe, execute).
Statements are cached in the pooled connection's `info`, which lives as long as the underlying
DBAPI connection does. Driver errors are re-raised as SQLAlchemy's, like any other query's.
"""

from __future__ import annotations

from typing import Any

import pg8000.dbapi
from pg8000.legacy import PreparedStatement
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_CACHE_KEY = "vaultra.prepared"


def run_prepared(conn: Connection, sql: str, **params: Any) -> tuple[Any, ...]:
    """Run `sql` (with `:name` parameters) inside `conn`'s transaction; returns its rows."""
    pooled = conn.connection
    dbapi: Any = pooled.dbapi_connection
    cache: dict[str, Any] = pooled.info.setdefault(_CACHE_KEY, {})
    try:
        statement = cache.get(sql)
        if statement is None:
            # Built directly rather than by the connection's `prepare`, which only the legacy
            # connection class has (`pg8000.connect`): the Cloud SQL connector opens a
            # `pg8000.dbapi` connection, which lacks it but has all the statement needs.
            statement = cache[sql] = PreparedStatement(dbapi, sql)
        if not dbapi._in_transaction and not dbapi.autocommit:
            # The driver would open the transaction with an unnamed statement of its own (parse,
            # describe, execute: three round trips); a simple query does it in one.
            dbapi.execute_simple("begin transaction")
        return tuple(statement.run(**params))
    except pg8000.dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, pg8000.dbapi.Error) from exc
