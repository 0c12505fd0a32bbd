"""Driver errors → what they mean to a caller (`vaultra.errors`): `DatabaseUnavailable` or
`DataRejected`. Any other database error is a bug in Vaultra and propagates as it is."""

from __future__ import annotations

import traceback

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from vaultra.errors import DatabaseUnavailable, DataRejected

# SQLSTATE classes: 22 data exception, 23 integrity constraint violation, 54 program limit
# exceeded (e.g. too deeply nested JSON). These are about the values sent, not the server.
_DATA_CLASSES = ("22", "23", "54")
# 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient
# resources, 57 operator intervention (shutdown, statement timeout), 58 system error.
_UNAVAILABLE_CLASSES = ("08", "40", "53", "57", "58")
_MAX_REASON = 200


def _raised_by_the_driver(exc: BaseException) -> bool:
    """Whether the error was raised inside pg8000 (and not by, say, an HTTP call made while a
    transaction was open)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("pg8000"):
            return True
        tb = tb.tb_next
    return False


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE a server error carries (pg8000 puts the error fields in `args[0]`)."""
    orig = getattr(exc, "orig", exc)
    fields = orig.args[0] if getattr(orig, "args", None) else None
    if isinstance(fields, dict):
        code = fields.get("C")
        return str(code) if code else None
    return None


def translate(exc: BaseException) -> BaseException:
    """The caller-facing error for a database error, or `exc` itself when it is neither."""
    if isinstance(exc, DatabaseUnavailable | DataRejected):
        return exc
    if isinstance(exc, UnicodeEncodeError):
        # The driver cannot encode a lone surrogate as UTF-8: refused before it reached the server.
        return DataRejected("22021", "a string is not valid Unicode (a lone surrogate)")
    if isinstance(exc, PoolTimeout | DisconnectionError):
        return DatabaseUnavailable(f"database unavailable: {type(exc).__name__}")
    if isinstance(exc, ConnectionError) and _raised_by_the_driver(exc):
        # pg8000 lets a socket error through unwrapped when the server closes the connection
        # while it reads (a terminated backend, a failover), so SQLAlchemy re-raises it as it is.
        # Its frames may hold a socket the driver never closed (a connection refused half-way):
        # let it go now, not when the caller finally drops the error, which keeps it as a cause.
        traceback.clear_frames(exc.__traceback__)
        return DatabaseUnavailable(f"database unavailable: {type(exc).__name__}")
    if not isinstance(exc, DBAPIError):
        return exc
    code = sqlstate_of(exc)
    if code is None or exc.connection_invalidated:
        # No server error fields: the connection itself failed (refused, reset, closed).
        return DatabaseUnavailable(f"database unavailable: {type(exc.orig).__name__}")
    if code.startswith(_DATA_CLASSES):
        orig = getattr(exc, "orig", exc)
        message = str(orig.args[0].get("M", "")) if orig.args else ""
        return DataRejected(code, message[:_MAX_REASON])
    if code.startswith(_UNAVAILABLE_CLASSES):
        return DatabaseUnavailable(f"database unavailable: SQLSTATE {code}")
    return exc
