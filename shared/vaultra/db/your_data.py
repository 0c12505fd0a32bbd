"""A person's data as a whole: exported table by table (PostgreSQL's COPY, one set-based query per
table for all their businesses) and deleted with their account.

COPY takes no bind parameters, so the ids a query is about are written into it — only ever as
`uuid.UUID` values rendered by Python (hex digits and dashes), never text from a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from sqlalchemy import Connection, text

from vaultra.db.models import LEDGER_TABLES


@dataclass(frozen=True)
class ExportTable:
    """One file of an export: its name and the query that fills it (`{businesses}` is the
    uuid[] of the businesses exported, `{user}` the person's uuid)."""

    name: str
    query: str


_OWNED = "business_id = ANY({businesses})"

# What a person gets of the businesses they own: everything, except secrets (Stripe credentials,
# token hashes) and the operational bookkeeping of jobs.
BUSINESS_TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        "businesses",
        "SELECT id, name, default_currency, active, created_at FROM businesses "
        "WHERE id = ANY({businesses}) ORDER BY created_at, id",
    ),
    ExportTable(
        "memberships",
        f"SELECT business_id, user_id, role, created_at FROM memberships WHERE {_OWNED} "
        "ORDER BY business_id, created_at",
    ),
    ExportTable(
        "invitations",
        "SELECT id, business_id, email, role, invited_by, created_at, expires_at, accepted_at, "
        f"revoked_at FROM invitations WHERE {_OWNED} ORDER BY business_id, created_at",
    ),
    ExportTable(
        "stripe_connections",
        "SELECT id, business_id, account_id, livemode, linked_at, deauthorized_at "
        f"FROM stripe_connections WHERE {_OWNED} ORDER BY business_id",
    ),
    ExportTable(
        "stripe_events",
        "SELECT id, business_id, account_id, livemode, type, api_version, created, source, "
        "status, received_at, processed_at, body, body_escaped, body_truncated "
        f"FROM stripe_events WHERE {_OWNED} ORDER BY business_id, created, id",
    ),
    *(
        ExportTable(name, f"SELECT * FROM {name} WHERE {_OWNED} ORDER BY business_id, id")
        for name in LEDGER_TABLES
    ),
    ExportTable(
        "subscription_states",
        f"SELECT * FROM subscription_states WHERE {_OWNED} "
        "ORDER BY business_id, subscription_id, valid_from, version_key",
    ),
    ExportTable(
        "metric_runs",
        "SELECT business_id, as_of, policy_version, currency, notes, computed_at "
        f"FROM metric_runs WHERE {_OWNED} ORDER BY business_id, as_of, policy_version",
    ),
    ExportTable(
        "metric_snapshots",
        "SELECT business_id, as_of, policy_version, metric, value FROM metric_snapshots "
        f"WHERE {_OWNED} ORDER BY business_id, as_of, policy_version, metric",
    ),
    ExportTable(
        "readiness_scores",
        f"SELECT * FROM readiness_scores WHERE {_OWNED} ORDER BY business_id, as_of, model_version",
    ),
    ExportTable(
        "recommendations",
        f"SELECT * FROM recommendations WHERE {_OWNED} ORDER BY business_id, key",
    ),
    ExportTable(
        "notifications",
        f"SELECT * FROM notifications WHERE {_OWNED} ORDER BY business_id, created_at, id",
    ),
    ExportTable(
        "reports",
        "SELECT id, business_id, created_by, as_of, model_version, summary, created_at "
        f"FROM reports WHERE {_OWNED} ORDER BY business_id, created_at, id",
    ),
    ExportTable(
        "share_links",
        "SELECT id, business_id, report_id, label, created_by, created_at, expires_at, "
        f"revoked_at FROM share_links WHERE {_OWNED} ORDER BY business_id, created_at, id",
    ),
    ExportTable(
        "share_views",
        "SELECT v.id, l.business_id, v.share_link_id, v.viewed_at, v.ip, v.user_agent, v.what "
        "FROM share_views v JOIN share_links l ON l.id = v.share_link_id "
        "WHERE l.business_id = ANY({businesses}) ORDER BY l.business_id, v.viewed_at, v.id",
    ),
)

# What is the person's own, whichever businesses they belong to.
PERSON_TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        "account",
        "SELECT id, email, created_at, email_verified_at, password_changed_at FROM users "
        "WHERE id = {user}",
    ),
    ExportTable(
        "my_memberships",
        "SELECT m.business_id, b.name AS business_name, m.role, m.created_at "
        "FROM memberships m JOIN businesses b ON b.id = m.business_id WHERE m.user_id = {user} "
        "ORDER BY m.created_at",
    ),
    ExportTable(
        "personal_access_tokens",
        "SELECT id, name, prefix, scope, created_at, expires_at, revoked_at, last_used_at "
        "FROM personal_access_tokens WHERE user_id = {user} ORDER BY created_at",
    ),
    ExportTable(
        "audit_log",
        "SELECT at, action, business_id, ip, detail FROM audit_log WHERE user_id = {user} "
        "ORDER BY at, id",
    ),
)

_OWNED_BY = text(
    "SELECT business_id FROM memberships WHERE user_id = :u AND role = 'owner' ORDER BY business_id"
)
# The businesses the person alone owns, locked: no owner is added while the account goes.
_SOLE_OWNED = text(
    """
    SELECT b.id FROM businesses b
    JOIN memberships m ON m.business_id = b.id AND m.user_id = :u AND m.role = 'owner'
    WHERE NOT EXISTS (SELECT 1 FROM memberships o
                      WHERE o.business_id = b.id AND o.role = 'owner' AND o.user_id <> :u)
    ORDER BY b.id
    FOR UPDATE OF b
    """
)
_LOCK_USER = text("SELECT email FROM users WHERE id = :u FOR UPDATE")
_DELETE_EVENTS = text("DELETE FROM stripe_events WHERE business_id = ANY(CAST(:ids AS uuid[]))")
_DELETE_BUSINESSES = text("DELETE FROM businesses WHERE id = ANY(CAST(:ids AS uuid[]))")
_LEAVE = text("DELETE FROM memberships WHERE user_id = :u")
# Personal data that is not keyed by the user's id: mail to the address, invitations to it.
_DELETE_MAIL = text("DELETE FROM mail_outbox WHERE to_address = :e")
_DELETE_INVITATIONS = text("DELETE FROM invitations WHERE email = :e")
# The log keeps what happened, not to whom or from where (user_id goes NULL with the user).
_ANONYMIZE_AUDIT = text("UPDATE audit_log SET ip = NULL WHERE user_id = :u")
# …nor whom another member's action was about (a role changed, a member removed).
_FORGET_AS_SUBJECT = text(
    "UPDATE audit_log SET detail = detail - 'member_id' WHERE detail ->> 'member_id' = :u"
)
_DELETE_USER = text("DELETE FROM users WHERE id = :u")


def _rendered(value: uuid.UUID) -> str:
    if not isinstance(value, uuid.UUID):
        raise TypeError("only uuid.UUID values are written into a query")
    return str(value)  # hex digits and dashes


def uuid_literal(value: uuid.UUID) -> str:
    return f"'{_rendered(value)}'::uuid"


def uuid_array(ids: Iterable[uuid.UUID]) -> str:
    return "'{" + ",".join(_rendered(value) for value in ids) + "}'::uuid[]"


@dataclass(frozen=True)
class Deleted:
    businesses: list[uuid.UUID]
    memberships_left: int


class YourData:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def owned_by(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self._conn.execute(_OWNED_BY, {"u": user_id}).scalars())

    def copy_csv(
        self, table: ExportTable, out: IO[bytes], *, user: uuid.UUID, businesses: list[uuid.UUID]
    ) -> None:
        """Write the table as CSV (a header row, then the rows) into `out`, streamed by the
        server in this transaction's snapshot."""
        query = table.query.format(businesses=uuid_array(businesses), user=uuid_literal(user))
        cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            copy = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
            cursor.execute(copy, stream=out)  # type: ignore[call-arg]  # pg8000's COPY stream
        finally:
            cursor.close()

    def delete_account(self, user_id: uuid.UUID) -> Deleted | None:
        """Delete the person: the businesses they alone own with everything of them, their
        memberships elsewhere, their tokens, mail and invitations to their address; their audit
        entries lose who and where. None when the account does not exist."""
        email = self._conn.execute(_LOCK_USER, {"u": user_id}).scalar()
        if email is None:
            return None
        sole = list(self._conn.execute(_SOLE_OWNED, {"u": user_id}).scalars())
        ids = "{" + ",".join(str(b) for b in sole) + "}"
        self._conn.execute(_DELETE_EVENTS, {"ids": ids})
        self._conn.execute(_DELETE_BUSINESSES, {"ids": ids})
        left = self._conn.execute(_LEAVE, {"u": user_id}).rowcount
        self._conn.execute(_DELETE_MAIL, {"e": email})
        self._conn.execute(_DELETE_INVITATIONS, {"e": email})
        self._conn.execute(_ANONYMIZE_AUDIT, {"u": user_id})
        self._conn.execute(_FORGET_AS_SUBJECT, {"u": str(user_id)})
        self._conn.execute(_DELETE_USER, {"u": user_id})
        return Deleted(sole, left)
