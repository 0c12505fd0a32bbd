"""Receive one Stripe webhook delivery: verify, store raw, normalize, publish.

The HTTP status tells Stripe what to do next:
- 400: not a genuine, recent Stripe delivery — nothing stored;
- 200: stored (applied, pending a link, ignored, failed as malformed) or a duplicate — retrying
  could not change anything;
- 5xx (raised as an exception to the entry point): the database or the event bus failed — Stripe
  retries, and the transaction left no partial rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from vaultra.db.connections import find_linked_account, lock_account_routing
from vaultra.db.data_version import current_transaction_id
from vaultra.db.prepared import run_prepared
from vaultra.events.messages import StripeDataChanged
from vaultra.events.publisher import Publisher
from vaultra.services.apply_events import apply_events
from vaultra.stripe.events import MalformedEvent, ParsedEvent, malformed_event_id, parse_event
from vaultra.stripe.signature import InvalidSignature, verify_signature

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int
    body: dict[str, object] = field(default_factory=dict)


_INSERT_EVENT = (
    "INSERT INTO stripe_events (id, account_id, livemode, type, api_version, created, source, "
    "body, status, error, business_id, processed_at, published_at) VALUES (:id, :account, "
    ":livemode, :type, :api_version, to_timestamp(:created), 'webhook', :body, CAST(:status AS varchar), :error, "
    ":business_id, CASE WHEN CAST(:status AS varchar) = 'pending_link' THEN NULL ELSE now() END, "
    "CASE WHEN CAST(:status AS varchar) = 'applied' THEN now() END) ON CONFLICT (id) DO NOTHING RETURNING id"
)
_REDELIVERED = text(
    "UPDATE stripe_events SET attempts = attempts + 1 WHERE id = :id "
    "RETURNING status, business_id, published_at, account_id, livemode, type, "
    "extract(epoch FROM created)::bigint AS created"
)
# `published_at` is set with the event, in its one transaction (one commit per delivery); a
# publish that then fails clears it, so that Stripe's redelivery publishes again.
_PUBLISH_FAILED = text("UPDATE stripe_events SET published_at = NULL WHERE id = :id")


class WebhookReceiver:
    def __init__(
        self,
        engine: Engine,
        publisher: Publisher,
        secrets: list[str],
        tolerance_s: int = 300,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._secrets = secrets
        self._tolerance_s = tolerance_s
        self._clock = clock

    def receive(self, body: bytes, signature_header: str | None) -> WebhookResponse:
        try:
            verify_signature(body, signature_header, self._secrets, self._tolerance_s)
        except InvalidSignature as exc:
            return WebhookResponse(400, {"error": f"invalid Stripe-Signature: {exc}"})

        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            self._store_malformed(body, str(exc))
            return WebhookResponse(200, {"status": "failed", "error": str(exc)})

        with self._engine.begin() as conn:
            status, business_id, publish = self._store(conn, event, body)
            # This transaction commits after the change: its id tells the consumer whether a
            # computation has already seen it.
            version = current_transaction_id(conn) if publish else None
        if publish and business_id is not None:
            self._publish(event, business_id, version)
        return WebhookResponse(200, {"id": event.id, "status": status})

    def _store(
        self, conn: Connection, event: ParsedEvent, body: bytes
    ) -> tuple[str, uuid.UUID | None, bool]:
        """Returns (status, business, whether to publish), all in the caller's transaction."""
        account = None
        if event.account:
            lock_account_routing(conn, event.account, exclusive=False)
            account = find_linked_account(conn, event.account, event.livemode)
        error = None
        if event.account is None:
            status, error = "ignored", "event has no `account`: only Connect events are routed"
        elif account is None:
            status = "pending_link"
        else:
            status = "applied"  # refined below once the row is known to be new
        inserted = run_prepared(
            conn,
            _INSERT_EVENT,
            **{
                "id": event.id,
                "account": event.account,
                "livemode": event.livemode,
                "type": event.type,
                "api_version": event.api_version,
                "created": event.created,
                "body": body.decode("utf-8"),
                "status": status,
                "error": error,
                "business_id": account.business_id if account else None,
            },
        )
        if not inserted:
            return self._redelivered(conn, event)
        if account is None:
            return status, None, False
        outcome = apply_events(conn, account, [event])[event.id]
        if outcome.status != "applied":
            conn.execute(
                text(
                    "UPDATE stripe_events SET status = :s, error = :e, published_at = NULL "
                    "WHERE id = :id"
                ),
                {"s": outcome.status, "e": outcome.error, "id": event.id},
            )
        return outcome.status, account.business_id, outcome.status == "applied"

    def _redelivered(
        self, conn: Connection, event: ParsedEvent
    ) -> tuple[str, uuid.UUID | None, bool]:
        row = conn.execute(_REDELIVERED, {"id": event.id}).one()
        if (row.type, row.created) != (event.type, event.created):
            # Stripe redelivers the same event (only counters like `pending_webhooks` change); a
            # different type or time under a known id is a collision or a forgery. The first
            # event stays; say so, by ids only.
            log.warning(
                "event %s redelivered as a different event (%s at %s; stored %s at %s): ignored",
                event.id,
                event.type,
                event.created,
                row.type,
                row.created,
            )
        # Publish again only if the first delivery stored the data but its publish failed.
        republish = row.status == "applied" and row.published_at is None
        if republish:
            conn.execute(
                text("UPDATE stripe_events SET published_at = now() WHERE id = :id"),
                {"id": event.id},
            )
        return "duplicate", row.business_id, republish

    def _publish(self, event: ParsedEvent, business_id: uuid.UUID, version: str | None) -> None:
        assert event.account is not None
        try:
            self._publisher.publish(
                StripeDataChanged(
                    business_id=business_id,
                    account_id=event.account,
                    livemode=event.livemode,
                    reason="webhook",
                    changed_at=self._clock(),
                    data_version=version,
                )
            )
        except Exception:
            with self._engine.begin() as conn:
                conn.execute(_PUBLISH_FAILED, {"id": event.id})
            raise

    def _store_malformed(self, body: bytes, error: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stripe_events (id, source, body, status, error, processed_at) "
                    "VALUES (:id, 'webhook', :body, 'failed', :error, now()) "
                    "ON CONFLICT (id) DO UPDATE SET attempts = stripe_events.attempts + 1"
                ),
                {
                    "id": malformed_event_id(body),
                    "body": body.decode("utf-8", "replace").replace("\x00", "\\u0000"),
                    "error": error,
                },
            )
        log.warning("stored a malformed Stripe event: %s", error)
