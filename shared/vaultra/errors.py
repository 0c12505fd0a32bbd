"""Failures every layer may name, without the types of the library that caused them.

`DatabaseUnavailable` — the database could not be reached or could not finish; nothing was
committed, so trying again later is right (a 503, a Pub/Sub redelivery). `DataRejected` —
PostgreSQL refused the values of a statement; trying again cannot help (a webhook records the
event as failed and answers 2xx). `vaultra.db` raises them in place of its driver's errors.
"""

from __future__ import annotations


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or could not finish; nothing was committed."""


class DataRejected(ValueError):
    """PostgreSQL refused the values of a statement; `sqlstate` and a short `reason` say why."""

    def __init__(self, sqlstate: str, reason: str) -> None:
        self.sqlstate = sqlstate
        self.reason = reason
        super().__init__(f"PostgreSQL refused the data ({sqlstate}): {reason}")
