"""Apply parsed Stripe events of one linked account to its ledger (shared by the webhook, the
linking of an account with pending events, the backfill of the last 30 days of events and demo
data)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vaultra.db.businesses import LinkedAccount
from vaultra.db.ledger_writer import Batch, InvalidRow
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.alerts import stripe_access_revoked
from vaultra.stripe import mapping
from vaultra.stripe.events import ParsedEvent

DEAUTHORIZED = "account.application.deauthorized"
# Its object is the connected account: its `default_currency` is the metrics' currency.
ACCOUNT_UPDATED = "account.updated"


@dataclass(frozen=True)
class Outcome:
    status: str  # applied | ignored | failed
    error: str | None = None


def outcome_of(event: ParsedEvent, batch: Batch) -> Outcome:
    """Normalize and check one event into `batch` and say what became of it. No writes yet."""
    if event.type == DEAUTHORIZED:
        return Outcome("applied")
    if event.type == ACCOUNT_UPDATED:
        if event.object.get("id") != event.account:
            return Outcome("ignored", "the account updated is not the event's connected account")
        if currency_of(event.object) is None:
            return Outcome("ignored", "the account has no valid `default_currency`")
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
        elif event.type == ACCOUNT_UPDATED and outcomes[event.id].status == "applied":
            record_default_currency(
                uow,
                account.business_id,
                event.object,
                datetime.fromtimestamp(event.created, UTC),
            )
    if batch:
        uow.ledger.write(account.business_id, account.livemode, batch)
    return outcomes


def currency_of(stripe_account: dict[str, Any]) -> str | None:
    """A Stripe account object's `default_currency`, if it is a currency code at all."""
    currency = stripe_account.get("default_currency")
    if isinstance(currency, str) and len(currency) == 3 and currency.isalpha():
        return currency.lower()
    return None


def record_default_currency(
    uow: UnitOfWork, business_id: uuid.UUID, stripe_account: dict[str, Any], as_of: datetime
) -> bool:
    """The account's `default_currency`, as Stripe reported it at `as_of`, as the business's
    (unless a later report is recorded). A change of currency changes every metric of every
    day: the whole stored history is recomputed. True when it changed."""
    currency = currency_of(stripe_account)
    if currency is None:
        return False
    changed = uow.businesses.record_default_currency(business_id, currency, as_of)
    if changed:
        uow.ledger.history_changed(business_id)
    return changed


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
