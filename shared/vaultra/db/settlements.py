"""Settled amounts still missing: a business's charges, refunds and disputes in another currency
than its own whose balance transaction is not in `balance_transactions`, and the fetches that did
not bring it (`settlement_fetches`).

Balance transactions have no events, so a foreign-currency object that arrived by webhook waits
for one (docs/DATA_MODEL.md). Which objects need one, and how each is joined to it, follows the
metrics (`vaultra.db.metrics_query`): succeeded, captured charges and refunds that are not void by
`balance_transaction_id`; disputes other than inquiries by a withdrawal (`source_id`, a negative
amount). Only objects created within the look-back are considered: balance transactions of older
ones came with the backfill, or will with the next.

An object whose fetch failed waits `retry_s × 2^(attempts − 1)` before the next attempt and is
given up after `give_up_after` attempts; a row older than the look-back is forgotten, since its
object can no longer be due.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, bindparam, text

from vaultra.domain.metrics.records import INQUIRY_STATUSES, VOID_REFUND_STATUSES

Kind = Literal["charge", "refund", "dispute"]


def _sql_list(values: frozenset[str]) -> str:
    """A policy's status set as an SQL list literal (fixed identifiers, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


def due_objects(business: str, currency: str) -> str:
    """SQL of the objects of `business` in another currency than `currency` (both SQL
    expressions) that have no balance transaction and are due for a fetch: columns `kind`, `id`,
    `balance_transaction_id` (null for disputes), `created`. Parameters: `:since` (the look-back's
    start), `:retry_s` and `:give_up_after` (see the module's docstring)."""
    return f"""
    SELECT o.kind, o.id, o.balance_transaction_id, o.created FROM (
      SELECT 'charge' AS kind, c.id, c.balance_transaction_id, c.created
      FROM charges c
      WHERE c.business_id = {business} AND c.created >= :since
        AND c.status = 'succeeded' AND c.captured AND c.currency <> {currency}
        AND c.balance_transaction_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM balance_transactions bt
                        WHERE bt.business_id = c.business_id AND bt.id = c.balance_transaction_id)
      UNION ALL
      SELECT 'refund', r.id, r.balance_transaction_id, r.created
      FROM refunds r
      WHERE r.business_id = {business} AND r.created >= :since
        AND (r.status IS NULL OR r.status NOT IN {_sql_list(VOID_REFUND_STATUSES)})
        AND r.currency <> {currency} AND r.balance_transaction_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM balance_transactions bt
                        WHERE bt.business_id = r.business_id AND bt.id = r.balance_transaction_id)
      UNION ALL
      SELECT 'dispute', d.id, NULL, d.created
      FROM disputes d
      WHERE d.business_id = {business} AND d.created >= :since
        AND d.status NOT IN {_sql_list(INQUIRY_STATUSES)} AND d.currency <> {currency}
        AND NOT EXISTS (SELECT 1 FROM balance_transactions bt
                        WHERE bt.business_id = d.business_id AND bt.source_id = d.id
                          AND bt.amount < 0)
    ) o
    WHERE NOT EXISTS (
      SELECT 1 FROM settlement_fetches f
      WHERE f.business_id = {business} AND f.object_id = o.id
        AND (f.attempts >= :give_up_after
             OR f.attempted_at > now() - make_interval(secs => :retry_s * 2 ^ (f.attempts - 1))))
    """


_DUE = text(
    f"""
    SELECT kind, id, balance_transaction_id FROM ({due_objects(":b", ":cur")}) due
    ORDER BY created, id COLLATE "C"
    LIMIT :limit
    """
)
_RECORD_FAILURE = text(
    "INSERT INTO settlement_fetches (business_id, object_id, object, attempts, attempted_at, error) "
    "VALUES (:b, :id, :kind, 1, now(), :error) "
    "ON CONFLICT (business_id, object_id) DO UPDATE SET "
    "attempts = settlement_fetches.attempts + 1, attempted_at = now(), error = EXCLUDED.error"
)
_FORGET = text(
    "DELETE FROM settlement_fetches WHERE business_id = :b AND object_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_PRUNE = text("DELETE FROM settlement_fetches WHERE business_id = :b AND attempted_at < :since")


@dataclass(frozen=True)
class Unsettled:
    """An object whose balance transaction is missing: by id (charges, refunds), or — for a
    dispute — among the dispute's own."""

    kind: Kind
    id: str
    balance_transaction_id: str | None


@dataclass(frozen=True)
class FetchPolicy:
    """Which objects are due: created since `since`; a failed one again after `retry_s`, doubled
    at each further failure, until `give_up_after` failures."""

    since: datetime
    retry_s: float
    give_up_after: int

    def params(self) -> dict[str, object]:
        return {"since": self.since, "retry_s": self.retry_s, "give_up_after": self.give_up_after}


def unsettled(
    conn: Connection, business_id: uuid.UUID, currency: str, policy: FetchPolicy, limit: int
) -> list[Unsettled]:
    """The business's due objects in another currency than `currency`, oldest first, at most
    `limit`."""
    rows = conn.execute(
        _DUE, {"b": business_id, "cur": currency, "limit": limit, **policy.params()}
    ).all()
    return [Unsettled(r.kind, r.id, r.balance_transaction_id) for r in rows]


def record_failures(
    conn: Connection, business_id: uuid.UUID, failures: Sequence[tuple[Unsettled, str]]
) -> None:
    """One more failed attempt for each object, with why (never a secret: an error's class and
    code)."""
    if failures:
        conn.execute(
            _RECORD_FAILURE,
            [{"b": business_id, "id": o.id, "kind": o.kind, "error": why} for o, why in failures],
        )


def forget(
    conn: Connection, business_id: uuid.UUID, settled: Sequence[str], since: datetime
) -> None:
    """Drop the failures of objects now settled, and of objects older than the look-back."""
    if settled:
        conn.execute(_FORGET, {"b": business_id, "ids": list(settled)})
    conn.execute(_PRUNE, {"b": business_id, "since": since})
