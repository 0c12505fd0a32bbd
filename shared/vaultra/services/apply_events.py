"""Apply parsed Stripe events of one linked account to its ledger (shared by the webhook, the
linking of an account with pending events, the backfill of the last 30 days of events and demo
data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from vaultra.db.businesses import LinkedAccount
from vaultra.db.ledger_writer import Batch, InvalidRow
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.alerts import stripe_access_revoked
from vaultra.stripe import mapping
from vaultra.stripe.events import ParsedEvent

DEAUTHORIZED = "account.application.deauthorized"


@dataclass(frozen=True)
class Outcome:
    status: str  # applied | ignored | failed
    error: str | None = None


def outcome_of(event: ParsedEvent, batch: Batch) -> Outcome:
    """Normalize and check one event into `batch` and say what became of it. No writes yet."""
    if event.type == DEAUTHORIZED:
        return Outcome("applied")
    try:
        rows = mapping.normalize(event.object, observed_at=event.created, source="event")
        batch.add(rows, event.created, event.id)
    except mapping.UnsupportedObject as exc:
        return Outcome("ignored", str(exc))
    except (mapping.MalformedObject, InvalidRow) as exc:
        return Outcome("failed", str(exc))
    return Outcome("applied")


def apply_events(
    uow: UnitOfWork, account: LinkedAccount, events: Iterable[ParsedEvent]
) -> dict[str, Outcome]:
    """Normalize and write the events in one batch, inside the unit of work's transaction."""
    batch = Batch()
    outcomes: dict[str, Outcome] = {}
    for event in events:
        if event.livemode != account.livemode:
            outcomes[event.id] = Outcome("ignored", "livemode does not match the linked account")
            continue
        outcomes[event.id] = outcome_of(event, batch)
        if event.type == DEAUTHORIZED:
            uow.businesses.mark_deauthorized(account.account_id, account.livemode, event.created)
            _tell_owners(uow, account, event)
    if batch:
        uow.ledger.write(account.business_id, account.livemode, batch)
    return outcomes


def apply_and_store_imported(
    uow: UnitOfWork, account: LinkedAccount, received: Sequence[tuple[ParsedEvent, str]]
) -> dict[str, Outcome]:
    """Events read rather than delivered (the backfill's recent events, demo data): applied as
    webhooks are, and stored raw with their outcome, in the caller's transaction."""
    outcomes = apply_events(uow, account, (event for event, _ in received))
    uow.events.insert_imported(
        account.account_id,
        account.livemode,
        account.business_id,
        (
            {
                "id": e.id,
                "type": e.type,
                "api_version": e.api_version,
                "created": e.created,
                "body": body,
                "status": outcomes[e.id].status,
                "error": outcomes[e.id].error,
            }
            for e, body in received
        ),
    )
    return outcomes


def _tell_owners(uow: UnitOfWork, account: LinkedAccount, event: ParsedEvent) -> None:
    """The business's notification that Stripe access ended, raised once per event (a
    redelivery finds it raised). No mail port exists yet: the notification is the message."""
    on = datetime.fromtimestamp(event.created, UTC).date()
    alert = stripe_access_revoked(account.account_id, event.id, on)
    uow.readiness.raise_alerts(account.business_id, on, [alert])
