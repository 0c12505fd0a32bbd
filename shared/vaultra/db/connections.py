"""Queries on businesses and their Stripe connections."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, text

from vaultra.db.prepared import run_prepared


@dataclass(frozen=True)
class LinkedAccount:
    business_id: uuid.UUID
    account_id: str
    livemode: bool
    credentials_encrypted: bytes | None = None


_FIND_LINKED = (
    "SELECT business_id, account_id, livemode, credentials_encrypted FROM stripe_connections "
    "WHERE account_id = :a AND livemode = :m AND deauthorized_at IS NULL"
)


def find_linked_account(conn: Connection, account_id: str, livemode: bool) -> LinkedAccount | None:
    """The live link of (account, mode); prepared, as every webhook delivery asks it."""
    rows = run_prepared(conn, _FIND_LINKED, a=account_id, m=livemode)
    if not rows:
        return None
    business_id, account, mode, secret = rows[0]
    return LinkedAccount(uuid.UUID(str(business_id)), account, mode, secret)


def find_account_any_mode(conn: Connection, account_id: str) -> list[LinkedAccount]:
    rows = conn.execute(
        text(
            "SELECT business_id, account_id, livemode, credentials_encrypted "
            "FROM stripe_connections WHERE account_id = :a ORDER BY livemode"
        ),
        {"a": account_id},
    ).all()
    return [LinkedAccount(*r) for r in rows]


def mark_deauthorized(conn: Connection, account_id: str, livemode: bool, at_unix: int) -> None:
    conn.execute(
        text(
            "UPDATE stripe_connections SET deauthorized_at = to_timestamp(:t) "
            "WHERE account_id = :a AND livemode = :m AND deauthorized_at IS NULL"
        ),
        {"a": account_id, "m": livemode, "t": at_unix},
    )


def lock_account_routing(conn: Connection, account_id: str, *, exclusive: bool) -> None:
    """Serialize linking an account with routing its events, for this transaction.

    A delivery takes the lock shared before it looks the account up; linking takes it exclusive
    before it creates the link and applies pending events. So an event is either seen pending by
    the link, or sees the link itself — never stored pending after the link has looked.
    """
    kind = "" if exclusive else "_shared"
    run_prepared(conn, f"SELECT pg_advisory_xact_lock{kind}(hashtext(:a))", a=account_id)
