"""The raw event log (`stripe_events`): every Stripe event as received, and what became of it.

status: applied | pending_link (no business linked to its account yet) | ignored (a type Vaultra
does not keep, a mode mismatch) | failed (malformed, or refused by a check or by PostgreSQL).
`published_at` is set with an applied event when "stripe data changed" is to go out, and cleared if
the publish fails, so a redelivery publishes again (an outbox of one row).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from vaultra.db.prepared import run_prepared

_INSERT = (
    "INSERT INTO stripe_events (id, account_id, livemode, type, api_version, created, source, "
    "body, body_escaped, body_truncated, status, error, business_id, processed_at, published_at) "
    "VALUES (:id, :account, :livemode, :type, :api_version, to_timestamp(:created), 'webhook', "
    ":body, :escaped, :truncated, CAST(:status AS varchar), :error, :business_id, "
    "CASE WHEN CAST(:status AS varchar) = 'pending_link' THEN NULL ELSE now() END, "
    "CASE WHEN CAST(:status AS varchar) = 'applied' THEN now() END) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)
_REDELIVERED = text(
    "UPDATE stripe_events SET attempts = attempts + 1 WHERE id = :id "
    "RETURNING status, business_id, published_at, type, "
    "extract(epoch FROM created)::bigint AS created"
)
_SET_OUTCOME = text(
    "UPDATE stripe_events SET status = :s, error = :e, published_at = NULL WHERE id = :id"
)
# One batch of the oldest expired events, by the received_at index: a daily run after a long
# pause deletes its backlog in bounded transactions instead of one that holds every row.
_PRUNE = text(
    "DELETE FROM stripe_events WHERE id IN ("
    "SELECT id FROM stripe_events WHERE received_at < :cutoff AND status <> 'pending_link' "
    "ORDER BY received_at LIMIT :batch)"
)
_SET_PUBLISHED = text(
    "UPDATE stripe_events SET published_at = CASE WHEN :done THEN now() END WHERE id = :id"
)
# A signed event that could not be applied: kept with what of its envelope is known. A
# redelivery of it only counts the attempt.
_INSERT_FAILED = text(
    "INSERT INTO stripe_events (id, account_id, livemode, type, api_version, created, source, "
    "body, body_escaped, body_truncated, status, error, processed_at) "
    "VALUES (:id, :account, :livemode, :type, :api_version, to_timestamp(:created), 'webhook', "
    ":body, :escaped, :truncated, 'failed', :error, now()) "
    "ON CONFLICT (id) DO UPDATE SET attempts = stripe_events.attempts + 1 "
    "RETURNING (xmax = 0) AS inserted"
)
_PENDING = text(
    "SELECT id, body FROM stripe_events WHERE account_id = :a AND livemode = :m "
    "AND status = 'pending_link' ORDER BY created, id FOR UPDATE"
)
_SET_OUTCOMES = text(
    "UPDATE stripe_events e SET status = o.status, error = o.error, business_id = :b, "
    "processed_at = now() FROM jsonb_to_recordset(CAST(:o AS jsonb)) "
    "AS o(id text, status text, error text) WHERE e.id = o.id"
)
_INSERT_IMPORTED = text(
    "INSERT INTO stripe_events (id, account_id, livemode, type, api_version, created, source, "
    "body, status, error, business_id, processed_at, published_at) "
    "SELECT e.id, :account, :livemode, e.type, e.api_version, to_timestamp(e.created), "
    "'backfill', e.body, e.status, e.error, :business_id, now(), now() "
    "FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(id text, type text, "
    "api_version text, created bigint, body text, status text, error text) "
    "ON CONFLICT (id) DO NOTHING"
)


@dataclass(frozen=True)
class StoredEvent:
    """What a redelivery needs to know of the event stored under its id."""

    status: str
    business_id: uuid.UUID | None
    published_at: Any
    type: str | None
    created: int | None


@dataclass(frozen=True)
class Envelope:
    """An event's identifying fields, as far as they are known and fit their columns."""

    id: str
    account: str | None = None
    livemode: bool | None = None
    type: str | None = None
    api_version: str | None = None
    created: int | None = None


@dataclass(frozen=True)
class Body:
    """A raw body as PostgreSQL's `text` can hold it, and whether it had to be altered."""

    text: str
    escaped: bool = False
    truncated: bool = False


def _params(envelope: Envelope, body: Body) -> dict[str, Any]:
    """The statement parameters of an event's envelope and stored body."""
    return {
        **dataclasses.asdict(envelope),
        "body": body.text,
        "escaped": body.escaped,
        "truncated": body.truncated,
    }


class StripeEvents:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert_received(
        self,
        envelope: Envelope,
        body: Body,
        *,
        status: str,
        error: str | None,
        business_id: uuid.UUID | None,
    ) -> bool:
        """Store a webhook delivery; False when an event with its id is already stored."""
        rows = run_prepared(
            self._conn,
            _INSERT,
            **_params(envelope, body),
            status=status,
            error=error,
            business_id=business_id,
        )
        return bool(rows)

    def insert_failed(self, envelope: Envelope, body: Body, error: str) -> bool:
        """Store a signed event that cannot be applied; False when it was stored before."""
        params = {**_params(envelope, body), "error": error}
        return bool(self._conn.execute(_INSERT_FAILED, params).scalar_one())

    def count_redelivery(self, event_id: str) -> StoredEvent:
        row = self._conn.execute(_REDELIVERED, {"id": event_id}).one()
        return StoredEvent(row.status, row.business_id, row.published_at, row.type, row.created)

    def prune_received_before(self, cutoff: datetime, batch: int) -> int:
        """Delete up to `batch` events received before `cutoff`, oldest first; events still
        waiting for their account to be linked (pending_link) are kept. How many went."""
        return int(self._conn.execute(_PRUNE, {"cutoff": cutoff, "batch": batch}).rowcount)

    def set_outcome(self, event_id: str, status: str, error: str | None) -> None:
        self._conn.execute(_SET_OUTCOME, {"s": status, "e": error, "id": event_id})

    def set_published(self, event_id: str, published: bool) -> None:
        self._conn.execute(_SET_PUBLISHED, {"done": published, "id": event_id})

    def pending_for(self, account_id: str, livemode: bool) -> list[tuple[str, str]]:
        """(id, body) of the account's events waiting for a link, locked until commit."""
        rows = self._conn.execute(_PENDING, {"a": account_id, "m": livemode}).all()
        return [(r.id, r.body) for r in rows]

    def set_outcomes(
        self, business_id: uuid.UUID, outcomes: Mapping[str, tuple[str, str | None]]
    ) -> None:
        """Record (status, error) per event id, now routed to `business_id`."""
        if not outcomes:
            return
        payload = [{"id": k, "status": s, "error": e} for k, (s, e) in outcomes.items()]
        self._conn.execute(_SET_OUTCOMES, {"b": business_id, "o": json.dumps(payload)})

    def insert_imported(
        self,
        account_id: str,
        livemode: bool,
        business_id: uuid.UUID,
        events: Iterable[dict[str, Any]],
    ) -> None:
        """Store events a backfill read from the events list (already applied): one statement."""
        self._conn.execute(
            _INSERT_IMPORTED,
            {
                "account": account_id,
                "livemode": livemode,
                "business_id": business_id,
                "events": json.dumps(list(events)),
            },
        )
