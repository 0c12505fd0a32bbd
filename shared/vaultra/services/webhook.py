"""Receive one Stripe webhook delivery: verify, store raw, normalize, publish.

The rule: a correctly signed event is always recorded and answered 2xx — applied, pending a link,
ignored, or failed with its reason. The HTTP status tells Stripe what to do next:
- 400: not a genuine, recent Stripe delivery — nothing stored, nothing said about why beyond the
  signature check's own reason;
- 200: stored, whatever became of it, or a duplicate — retrying could not change anything;
- 503: the database could not be reached or could not finish — nothing was written, and Stripe's
  retry will find it back.

Each transport (the function, `vaultra serve`) only turns the `WebhookResponse` into HTTP.

Values PostgreSQL would refuse are caught before any SQL (`vaultra.stripe.events`,
`vaultra.stripe.mapping`, `vaultra.db.row_checks`); should PostgreSQL refuse one anyway, the
transaction rolls back whole and the event is recorded as failed in a new one. A failed publish
after the commit is not the sender's problem: the event is stored, and the reconciliation tick
recomputes the business within minutes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vaultra.db.stripe_events import Body, Envelope
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.errors import DatabaseUnavailable, DataRejected
from vaultra.events.messages import StripeDataChanged
from vaultra.events.publisher import Publisher
from vaultra.services.apply_events import DEAUTHORIZED, apply_events
from vaultra.stripe.events import MalformedEvent, ParsedEvent, malformed_event_id, parse_event
from vaultra.stripe.signature import InvalidSignature, verify_signature
from vaultra.stripe.stored_body import storable_body

log = logging.getLogger(__name__)

# What of a raw body is kept (the entry points refuse bodies beyond 1 MiB before reading them).
MAX_STORED_BODY = 1 << 20


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int
    body: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Stored:
    status: str
    business_id: uuid.UUID | None
    publish: bool
    version: str | None = None
    error: str | None = None


class WebhookReceiver:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        secrets: list[str],
        tolerance_s: int = 300,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_access_revoked: Callable[[uuid.UUID, str], None] | None = None,
    ) -> None:
        self._db = db
        self._publisher = publisher
        # Told once per deauthorization (a redelivery is a duplicate), after it has committed.
        self._on_access_revoked = on_access_revoked
        self._secrets = secrets
        self._tolerance_s = tolerance_s
        self._clock = clock

    def receive(self, body: bytes, signature_header: str | None) -> WebhookResponse:
        try:
            verify_signature(body, signature_header, self._secrets, self._tolerance_s)
        except InvalidSignature as exc:
            # Not a genuine delivery: one line, no traceback (anyone can send these).
            log.warning("refused a webhook delivery: invalid Stripe-Signature: %s", exc)
            return WebhookResponse(400, {"error": f"invalid Stripe-Signature: {exc}"})
        try:
            return self._receive_signed(body)
        except DatabaseUnavailable as exc:
            log.warning("webhook: %s; answering 503", exc)
            return WebhookResponse(503, {"error": "temporarily unable to store the event; retry"})

    def _receive_signed(self, body: bytes) -> WebhookResponse:

        stored_body = storable_body(body, MAX_STORED_BODY)
        kept = Body(stored_body.text, stored_body.escaped, stored_body.truncated)
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            event_id = self._record_failed(body, None, kept, str(exc))
            return WebhookResponse(200, {"id": event_id, "status": "failed", "error": str(exc)})

        try:
            with self._db.transaction() as uow:
                stored = self._store(uow, event, kept)
        except DataRejected as exc:
            # A check let through a value PostgreSQL refuses: nothing of the event was written.
            log.error(
                "PostgreSQL refused event %s (%s): recorded as failed", event.id, exc.sqlstate
            )
            reason = f"refused by the database: {exc.reason}"
            event_id = self._record_failed(body, _envelope(event), kept, reason)
            return WebhookResponse(200, {"id": event_id, "status": "failed", "error": reason})
        if stored.publish and stored.business_id is not None:
            self._publish(event, stored.business_id, stored.version)
            if event.type == DEAUTHORIZED and stored.version is not None:
                self._tell_access_revoked(event, stored.business_id)
        answer: dict[str, object] = {"id": event.id, "status": stored.status}
        if stored.error is not None:
            answer["error"] = stored.error
        return WebhookResponse(200, answer)

    def _store(self, uow: UnitOfWork, event: ParsedEvent, body: Body) -> _Stored:
        account = None
        if event.account:
            uow.businesses.lock_routing(event.account, exclusive=False)
            account = uow.businesses.find_link(event.account, event.livemode)
        error = None
        if event.account is None:
            status, error = "ignored", "event has no `account`: only Connect events are routed"
        elif account is None:
            status = "pending_link"
        else:
            status = "applied"  # refined below once the row is known to be new
        inserted = uow.events.insert_received(
            _envelope(event),
            body,
            status=status,
            error=error,
            business_id=account.business_id if account else None,
        )
        if not inserted:
            return self._redelivered(uow, event)
        if account is None:
            return _Stored(status, None, False, error=error)
        outcome = apply_events(uow, account, [event])[event.id]
        if outcome.status != "applied":
            uow.events.set_outcome(event.id, outcome.status, outcome.error)
            return _Stored(outcome.status, account.business_id, False, error=outcome.error)
        # This transaction commits after the change: its id tells a consumer whether a
        # computation has already seen it.
        return _Stored("applied", account.business_id, True, uow.transaction_id())

    def _redelivered(self, uow: UnitOfWork, event: ParsedEvent) -> _Stored:
        stored = uow.events.count_redelivery(event.id)
        if (stored.type, stored.created) != (event.type, event.created):
            # Stripe redelivers the same event (only counters like `pending_webhooks` change); a
            # different type or time under a known id is a collision or a forgery. The first
            # event stays; say so, by ids only.
            log.warning(
                "event %s redelivered as a different event (%s at %s; stored %s at %s): ignored",
                event.id,
                event.type,
                event.created,
                stored.type,
                stored.created,
            )
        # Publish again only if the first delivery stored the data but its publish failed.
        republish = stored.status == "applied" and stored.published_at is None
        if republish:
            uow.events.set_published(event.id, True)
        version = uow.transaction_id() if republish else None
        return _Stored("duplicate", stored.business_id, republish, version)

    def _tell_access_revoked(self, event: ParsedEvent, business_id: uuid.UUID) -> None:
        if self._on_access_revoked is None or event.account is None:
            return
        try:
            self._on_access_revoked(business_id, event.account)
        except Exception:  # the revocation is stored and notified in the dashboard already
            log.exception("could not tell the owners of %s that access was revoked", business_id)

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
        except Exception as exc:
            # Stored and committed: the reconciliation tick recomputes the business. The cleared
            # flag lets a redelivery publish sooner.
            log.warning(
                "event %s stored; publishing its change failed (%s): reconciliation will catch up",
                event.id,
                type(exc).__name__,
            )
            with self._db.transaction() as uow:
                uow.events.set_published(event.id, False)

    def _record_failed(self, raw: bytes, envelope: Envelope | None, body: Body, error: str) -> str:
        """Record a signed event that cannot be applied; returns the id it is stored under.

        Without a usable envelope the event is kept under an id derived from its body (stable,
        so a redelivery is a duplicate); should PostgreSQL refuse the envelope, the same; should
        it refuse the body too, an empty body flagged as truncated stands for it."""
        by_body = Envelope(malformed_event_id(raw))
        attempts = [(by_body, body), (by_body, Body("", escaped=False, truncated=True))]
        if envelope is not None:
            attempts.insert(0, (envelope, body))
        for attempt_envelope, attempt_body in attempts:
            try:
                with self._db.transaction() as uow:
                    uow.events.insert_failed(attempt_envelope, attempt_body, error[:2000])
            except DataRejected as exc:
                log.error("a failed event was refused by PostgreSQL (%s); retrying", exc.sqlstate)
                continue
            log.warning("stored a failed Stripe event %s: %s", attempt_envelope.id, error[:200])
            return attempt_envelope.id
        raise AssertionError("PostgreSQL refused an empty failed event")


def _envelope(event: ParsedEvent) -> Envelope:
    return Envelope(
        id=event.id,
        account=event.account,
        livemode=event.livemode,
        type=event.type,
        api_version=event.api_version,
        created=event.created,
    )
