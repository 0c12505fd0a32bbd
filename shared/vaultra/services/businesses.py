"""Create a business and link its Stripe account; events that arrived before the link apply now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database, UnitOfWork
from vaultra.services.apply_events import DEAUTHORIZED, apply_events
from vaultra.stripe.events import MalformedEvent, ParsedEvent, parse_event

ACCOUNT_ID_PREFIX = "acct_"
# A synthetic test-mode account holding demo data (`vaultra.services.demo_data`); never Stripe's.
DEMO_ACCOUNT_PREFIX = "acct_demo_"


class AccountAlreadyLinked(ValueError):
    pass


class InvalidAccountId(ValueError):
    pass


class BusinessAlreadyConnected(ValueError):
    """The business has a current Stripe connection (disconnect it first)."""


class BusinessHoldsOtherData(ValueError):
    """The business holds another account's data, or the same account's in the other mode (or
    demo data): its ledger is one account's, in one mode, so it cannot link this one."""


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


def is_demo_account(account_id: str) -> bool:
    return account_id.startswith(DEMO_ACCOUNT_PREFIX)


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


def link_existing_business(
    uow: UnitOfWork,
    business_id: uuid.UUID,
    account_id: str,
    livemode: bool,
    credentials_encrypted: bytes | None,
    *,
    consent_at: int | None = None,
) -> LinkResult:
    """Link the account to a business that exists (made in the API, then connected), and apply
    the account's pending events, inside the caller's unit of work.

    A business that was connected before may link the same account, in the same mode, again (its
    connection row is revived); never another account. `consent_at` (unix seconds): when the
    founder granted this access — a pending deauthorization older than that ended an earlier
    grant, not this one, and is ignored.
    """
    account_id = validate_account_id(account_id)
    uow.businesses.lock_routing(account_id, exclusive=True)
    before = uow.businesses.connection_of(business_id)
    if before is not None and before.deauthorized_at is None:
        raise BusinessAlreadyConnected("the business is connected to Stripe; disconnect it first")
    if before is not None and (before.account_id, before.livemode) != (account_id, livemode):
        raise BusinessHoldsOtherData(
            "the business holds another Stripe account's data (or demo data, or the other "
            "mode's): create a new business for this account"
        )
    if uow.businesses.find_link(account_id, livemode) is not None:
        raise AccountAlreadyLinked(f"{account_id} is linked to another business")
    if before is not None:
        linked = uow.businesses.relink(business_id, account_id, livemode, credentials_encrypted)
    else:
        linked = uow.businesses.link(business_id, account_id, livemode, credentials_encrypted)
    if not linked:
        # The account's one row per mode belongs to another business (revoked there, or a link
        # made concurrently): its history is that business's.
        raise AccountAlreadyLinked(f"{account_id} is or was linked to another business")
    link = LinkedAccount(business_id, account_id, livemode, credentials_encrypted)
    return LinkResult(business_id, apply_pending_events(uow, link, consent_at=consent_at))


def apply_pending_events(
    uow: UnitOfWork, account: LinkedAccount, *, consent_at: int | None = None
) -> int:
    pending = uow.events.pending_for(account.account_id, account.livemode)
    if not pending:
        return 0
    # Each stored body parsed once before; a stricter parser since must fail that event only.
    events: list[ParsedEvent] = []
    results: dict[str, tuple[str, str | None]] = {}
    for event_id, body in pending:
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            results[event_id] = ("failed", str(exc))
            continue
        if event.type == DEAUTHORIZED and consent_at is not None and event.created < consent_at:
            results[event_id] = ("ignored", "a deauthorization older than this link's consent")
            continue
        events.append(event)
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
