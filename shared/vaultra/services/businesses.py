"""Create a business and link its Stripe account; events that arrived before the link apply now."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from vaultra.db.connections import LinkedAccount, find_linked_account, lock_account_routing
from vaultra.services.apply_events import apply_events
from vaultra.stripe.events import parse_event

ACCOUNT_ID_PREFIX = "acct_"


class AccountAlreadyLinked(ValueError):
    pass


class InvalidAccountId(ValueError):
    pass


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
    conn: Connection,
    name: str,
    account_id: str,
    livemode: bool,
    credentials_encrypted: bytes | None = None,
) -> LinkResult:
    """Create the business, link the account, apply its pending events — one transaction."""
    name = name.strip()
    if not name:
        raise ValueError("business name must not be empty")
    account_id = validate_account_id(account_id)
    lock_account_routing(conn, account_id, exclusive=True)
    if find_linked_account(conn, account_id, livemode) is not None:
        mode = "live" if livemode else "test"
        raise AccountAlreadyLinked(f"{account_id} is already linked to a business in {mode} mode")
    business_id = conn.execute(
        text("INSERT INTO businesses (name) VALUES (:n) RETURNING id"), {"n": name}
    ).scalar_one()
    try:
        with conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO stripe_connections (business_id, account_id, livemode, "
                    "credentials_encrypted) VALUES (:b, :a, :m, :c)"
                ),
                {"b": business_id, "a": account_id, "m": livemode, "c": credentials_encrypted},
            )
    except IntegrityError as exc:  # a concurrent link of the same account won the race
        raise AccountAlreadyLinked(f"{account_id} is already linked") from exc
    applied = apply_pending_events(
        conn, LinkedAccount(business_id, account_id, livemode, credentials_encrypted)
    )
    return LinkResult(business_id, applied)


def apply_pending_events(conn: Connection, account: LinkedAccount) -> int:
    rows = conn.execute(
        text(
            "SELECT id, body FROM stripe_events WHERE account_id = :a AND livemode = :m "
            "AND status = 'pending_link' FOR UPDATE"
        ),
        {"a": account.account_id, "m": account.livemode},
    ).all()
    if not rows:
        return 0
    outcomes = apply_events(conn, account, [parse_event(r.body) for r in rows])
    conn.execute(
        text(
            "UPDATE stripe_events e SET status = o.status, error = o.error, business_id = :b, "
            "processed_at = now() FROM jsonb_to_recordset(CAST(:o AS jsonb)) "
            "AS o(id text, status text, error text) WHERE e.id = o.id"
        ),
        {
            "b": account.business_id,
            "o": json.dumps(
                [{"id": k, "status": v.status, "error": v.error} for k, v in outcomes.items()]
            ),
        },
    )
    return sum(1 for o in outcomes.values() if o.status == "applied")
