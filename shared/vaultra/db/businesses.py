"""Businesses and their Stripe connections (`businesses`, `stripe_connections`).

A connection links one Stripe account, in one mode, to one business. A deauthorized connection is
history: it routes no events and is never acted upon.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from vaultra.db import locks
from vaultra.db.locks import Locks
from vaultra.db.prepared import run_prepared


@dataclass(frozen=True)
class LinkedAccount:
    business_id: uuid.UUID
    account_id: str
    livemode: bool
    credentials_encrypted: bytes | None = None


@dataclass(frozen=True)
class ConnectionRow:
    """A business's Stripe connection, current (`deauthorized_at` None) or revoked."""

    account_id: str
    livemode: bool
    linked_at: datetime
    deauthorized_at: datetime | None


_FIND_LINKED = (
    "SELECT business_id, account_id, livemode, credentials_encrypted FROM stripe_connections "
    "WHERE account_id = :a AND livemode = :m AND deauthorized_at IS NULL"
)
_LINKS_OF = text(
    "SELECT business_id, account_id, livemode, credentials_encrypted FROM stripe_connections "
    "WHERE account_id = :a AND deauthorized_at IS NULL ORDER BY livemode"
)
_CREATE = text("INSERT INTO businesses (name) VALUES (:n) RETURNING id")
_LINK = text(
    "INSERT INTO stripe_connections (business_id, account_id, livemode, credentials_encrypted) "
    "VALUES (:b, :a, :m, :c)"
)
_DEAUTHORIZE = text(
    "UPDATE stripe_connections SET deauthorized_at = to_timestamp(:t) "
    "WHERE account_id = :a AND livemode = :m AND deauthorized_at IS NULL"
)
_ACTIVE = text("SELECT active FROM businesses WHERE id = :b")
_NAME = text("SELECT name FROM businesses WHERE id = :b")
_RENAME = text("UPDATE businesses SET name = :n WHERE id = :b")
# Kept only if as recent as the currency recorded; answers whether the currency changed (the
# self-join reads the row as it was before this update).
_DEFAULT_CURRENCY = text(
    "UPDATE businesses b SET default_currency = :c, default_currency_at = :t "
    "FROM businesses before WHERE b.id = :b AND before.id = b.id "
    "AND (b.default_currency_at IS NULL OR b.default_currency_at <= :t) "
    "RETURNING before.default_currency IS DISTINCT FROM :c"
)
# The raw events keep `business_id` on a deletion (SET NULL, so the ledger's history stays
# auditable while a business lives): a founder's deletion takes them too.
_DELETE_EVENTS = text("DELETE FROM stripe_events WHERE business_id = :b")
_DELETE = text("DELETE FROM businesses WHERE id = :b")
# Locked: linking, relinking and revoking one business's connection take turns.
_CONNECTION_OF = text(
    "SELECT account_id, livemode, linked_at, deauthorized_at FROM stripe_connections "
    "WHERE business_id = :b FOR UPDATE"
)
# A business has one connection row (unique business_id): linking it again revives that row.
_RELINK = text(
    "UPDATE stripe_connections SET credentials_encrypted = :c, linked_at = now(), "
    "deauthorized_at = NULL WHERE business_id = :b AND account_id = :a AND livemode = :m "
    "AND deauthorized_at IS NOT NULL"
)
# A revoked connection keeps no credentials: nothing can read the account through it.
_REVOKE = text(
    "UPDATE stripe_connections SET deauthorized_at = now(), credentials_encrypted = NULL "
    "WHERE business_id = :b AND deauthorized_at IS NULL"
)
_ACTIVE_LINKED = text(
    "SELECT b.id FROM businesses b "
    "JOIN stripe_connections c ON c.business_id = b.id AND c.deauthorized_at IS NULL "
    "WHERE b.active ORDER BY b.id"
)


class Businesses:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._locks = Locks(conn)

    def find_link(self, account_id: str, livemode: bool) -> LinkedAccount | None:
        """The live link of (account, mode); prepared, as every webhook delivery asks it."""
        rows = run_prepared(self._conn, _FIND_LINKED, a=account_id, m=livemode)
        if not rows:
            return None
        business_id, account, mode, secret = rows[0]
        return LinkedAccount(uuid.UUID(str(business_id)), account, mode, secret)

    def links_of(self, account_id: str) -> list[LinkedAccount]:
        """The account's current links, test mode first (at most one per mode)."""
        rows = self._conn.execute(_LINKS_OF, {"a": account_id}).all()
        return [LinkedAccount(*r) for r in rows]

    def create(self, name: str) -> uuid.UUID:
        business_id: uuid.UUID = self._conn.execute(_CREATE, {"n": name}).scalar_one()
        return business_id

    def link(
        self,
        business_id: uuid.UUID,
        account_id: str,
        livemode: bool,
        credentials_encrypted: bytes | None,
    ) -> bool:
        """Link the account; False when a concurrent link of the same account won the race."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    _LINK,
                    {"b": business_id, "a": account_id, "m": livemode, "c": credentials_encrypted},
                )
        except IntegrityError:
            return False
        return True

    def mark_deauthorized(self, account_id: str, livemode: bool, at_unix: int) -> None:
        self._conn.execute(_DEAUTHORIZE, {"a": account_id, "m": livemode, "t": at_unix})

    def lock_routing(self, account_id: str, *, exclusive: bool) -> None:
        """Serialize linking an account with routing its events, for this transaction.

        A delivery takes the lock shared before it looks the account up; linking takes it
        exclusive before it creates the link and applies pending events. So an event is either
        seen pending by the link, or sees the link itself — never stored pending after the link
        has looked.
        """
        self._locks.hold_for_transaction(locks.ACCOUNT_ROUTING, account_id, shared=not exclusive)

    def record_default_currency(
        self, business_id: uuid.UUID, currency: str, as_of: datetime
    ) -> bool:
        """The Stripe account's `default_currency` (ISO 4217, stored lower-case) as of a moment:
        the metrics' reporting currency from now on, instead of one inferred from the charges.
        An older report than the one recorded is ignored. True when the currency changed."""
        changed = self._conn.execute(
            _DEFAULT_CURRENCY, {"b": business_id, "c": currency.lower(), "t": as_of}
        ).scalar()
        return bool(changed)

    def rename(self, business_id: uuid.UUID, name: str) -> None:
        self._conn.execute(_RENAME, {"b": business_id, "n": name})

    def delete(self, business_id: uuid.UUID) -> None:
        """The business and everything of it: every table cascades from `businesses`, and its
        raw events are deleted first."""
        self._conn.execute(_DELETE_EVENTS, {"b": business_id})
        self._conn.execute(_DELETE, {"b": business_id})

    def name_of(self, business_id: uuid.UUID) -> str | None:
        return self._conn.execute(_NAME, {"b": business_id}).scalar_one_or_none()

    def is_active(self, business_id: uuid.UUID) -> bool:
        return bool(self._conn.execute(_ACTIVE, {"b": business_id}).scalar())

    def active_linked(self) -> list[uuid.UUID]:
        """Every active business with a current Stripe connection."""
        return list(self._conn.execute(_ACTIVE_LINKED).scalars())

    def connection_of(self, business_id: uuid.UUID) -> ConnectionRow | None:
        """The business's connection, current or revoked, locked until the transaction ends."""
        row = self._conn.execute(_CONNECTION_OF, {"b": business_id}).one_or_none()
        return ConnectionRow(*row) if row else None

    def relink(
        self,
        business_id: uuid.UUID,
        account_id: str,
        livemode: bool,
        credentials_encrypted: bytes | None,
    ) -> bool:
        """Revive the business's revoked connection to the same account and mode; False when
        there is none to revive."""
        changed = self._conn.execute(
            _RELINK, {"b": business_id, "a": account_id, "m": livemode, "c": credentials_encrypted}
        )
        return bool(changed.rowcount)

    def revoke(self, business_id: uuid.UUID) -> bool:
        """End the business's current connection (its data stays); False when there is none."""
        return bool(self._conn.execute(_REVOKE, {"b": business_id}).rowcount)
