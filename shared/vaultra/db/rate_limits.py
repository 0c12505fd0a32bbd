"""Failed attempts per key (`rate_limits`): an address or an account, for one action.

Set-based: one statement reads every key of a check, one statement counts a failure against every
key at once (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), so concurrent attempts are counted
exactly and no read-modify-write race lets one through. A key's window restarts when it has
elapsed and the key is not held back; from its `limit`-th failure in a window a key is held back
for `base · 2^(failures − limit)`, at most `cap`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

_BLOCKED_UNTIL = text(
    "SELECT max(blocked_until) FROM rate_limits "
    "WHERE key = ANY(CAST(:keys AS varchar[])) AND blocked_until > :now"
)
_FRESH = "(r.window_started_at <= :window_start AND (r.blocked_until IS NULL OR r.blocked_until <= :now))"
_COUNT = f"CASE WHEN {_FRESH} THEN 1 ELSE r.failures + 1 END"
_LIMIT_OF = (
    "(SELECT t.l FROM unnest(CAST(:keys AS varchar[]), CAST(:limits AS int[])) AS t(k, l) "
    "WHERE t.k = r.key)"
)


def _hold(count: str, limit: str) -> str:
    """SQL: until when a key with `count` failures against `limit` is held back (NULL: not)."""
    return (
        f"CASE WHEN {count} >= {limit} THEN CAST(:now AS timestamptz) + LEAST("
        f"make_interval(secs => CAST(:base_s AS float8) * power(2, LEAST({count} - {limit}, 20))), "
        "make_interval(secs => CAST(:cap_s AS float8))) END"
    )


_RECORD = text(
    f"""
    INSERT INTO rate_limits AS r (key, failures, window_started_at, blocked_until)
    SELECT t.k, 1, :now, {_hold("1", "t.l")}
    FROM unnest(CAST(:keys AS varchar[]), CAST(:limits AS int[])) AS t(k, l)
    ON CONFLICT (key) DO UPDATE SET
        failures = {_COUNT},
        window_started_at = CASE WHEN {_FRESH} THEN :now ELSE r.window_started_at END,
        blocked_until = {_hold(f"({_COUNT})", _LIMIT_OF)}
    RETURNING blocked_until
    """
)
_CLEAR = text("DELETE FROM rate_limits WHERE key = ANY(CAST(:keys AS varchar[]))")


class RateLimits:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def blocked_until(self, keys: list[str], *, now: datetime) -> datetime | None:
        """The latest moment any of the keys is held back until, if one is now."""
        found = self._conn.execute(_BLOCKED_UNTIL, {"keys": keys, "now": now}).scalar()
        return found if isinstance(found, datetime) else None

    def record_failure(
        self,
        limits: dict[str, int],
        *,
        now: datetime,
        window: timedelta,
        base: timedelta,
        cap: timedelta,
    ) -> datetime | None:
        """Count a failure against every key (key → its limit); until when the first key held
        back by it is, if any."""
        rows = self._conn.execute(
            _RECORD,
            {
                "keys": list(limits),
                "limits": list(limits.values()),
                "now": now,
                "window_start": now - window,
                "base_s": base.total_seconds(),
                "cap_s": cap.total_seconds(),
            },
        ).all()
        held = [row[0] for row in rows if row[0] is not None]
        return max(held) if held else None

    def clear(self, keys: list[str]) -> None:
        self._conn.execute(_CLEAR, {"keys": keys})
