"""Create a business and link its Stripe account; events that arrived before the link apply now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.services.apply_events import apply_events
from vaultra.stripe.events import MalformedEvent, ParsedEvent, parse_event

ACCOUNT_ID_PREFIX = "acct_"


class AccountAlreadyLinked(ValueError):
    pass


class InvalidAccountId(ValueError):
    pass


class NotLinked(LookupError):
    """No current link of that account (never linked, or deauthorized)."""


@dataclass(frozen=True)
class LinkResult:
    business_id: uuid.UUID
    pending_applied: int


def validate_account_id(account_id: str) -> str:
    account_id = account_id.strip()
    if not account_id.startswith(ACCOUNT_ID_PREFIX) or len(account_id) <= len(ACCOUNT_ID_PREFIX):
        raise InvalidAccountId(f"Stripe account id must look like 'acct_…', got {account_id!r}")
    if not account_id.replace("_", "").isalnum() or len(account_id) > 255:
        raise InvalidAccountId(f"Stripe account id has unexpected characters: {account_id!r}")
    return account_id


def add_business(
    db: Database,
    name: str,
    account_id: str,
    livemode: bool,
    credentials_encrypted: bytes | None = None,
) -> LinkResult:
    """Create the business, link the account, apply its pending events — one transaction."""
    with db.transaction() as uow:
        return create_linked_business(uow, name, account_id, livemode, credentials_encrypted)


def create_linked_business(
    uow: UnitOfWork,
    name: str,
    account_id: str,
    livemode: bool,
    credentials_encrypted: bytes | None = None,
) -> LinkResult:
    """`add_business` inside the caller's unit of work (which may add to it, e.g. a member)."""
    name = name.strip()
    if not name:
        raise ValueError("business name must not be empty")
    account_id = validate_account_id(account_id)
    uow.businesses.lock_routing(account_id, exclusive=True)
    if uow.businesses.find_link(account_id, livemode) is not None:
        mode = "live" if livemode else "test"
        raise AccountAlreadyLinked(f"{account_id} is already linked to a business in {mode} mode")
    business_id = uow.businesses.create(name)
    if not uow.businesses.link(business_id, account_id, livemode, credentials_encrypted):
        raise AccountAlreadyLinked(f"{account_id} is already linked")
    link = LinkedAccount(business_id, account_id, livemode, credentials_encrypted)
    return LinkResult(business_id, apply_pending_events(uow, link))


def apply_pending_events(uow: UnitOfWork, account: LinkedAccount) -> int:
    pending = uow.events.pending_for(account.account_id, account.livemode)
    if not pending:
        return 0
    # Each stored body parsed once before; a stricter parser since must fail that event only.
    events: list[ParsedEvent] = []
    results: dict[str, tuple[str, str | None]] = {}
    for event_id, body in pending:
        try:
            events.append(parse_event(body))
        except MalformedEvent as exc:
            results[event_id] = ("failed", str(exc))
    outcomes = apply_events(uow, account, events)
    results.update({k: (o.status, o.error) for k, o in outcomes.items()})
    uow.events.set_outcomes(account.business_id, results)
    return sum(1 for o in outcomes.values() if o.status == "applied")


def current_links(db: Database, account_id: str) -> list[LinkedAccount]:
    """The account's current links (a deauthorized link is never acted upon)."""
    with db.transaction() as uow:
        return uow.businesses.links_of(account_id)


def current_link(db: Database, account_id: str, test_mode: bool | None) -> LinkedAccount:
    """The one current link of the account (in the given mode, if both are linked)."""
    links = current_links(db, account_id)
    if test_mode is not None:
        links = [link for link in links if link.livemode is not test_mode]
    if not links:
        raise NotLinked(
            f"{account_id} is not linked to a business; run `vaultra business add` first"
        )
    if len(links) > 1:
        raise NotLinked(
            f"{account_id} is linked in live and test mode; pass --test-mode or --live-mode"
        )
    return links[0]
