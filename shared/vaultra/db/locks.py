"""Advisory locks keyed by 64-bit hashes, so two businesses (or accounts) never share a lock.

PostgreSQL's `hashtext` is 32 bits: among a hundred thousand businesses, collisions are likely
(birthday bound) and would serialize, or skip, an unrelated business's work. A key here is the
first 8 bytes of BLAKE2b over a namespace and the id, as a signed bigint.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text

from vaultra.db.prepared import run_prepared

METRICS = "vaultra.metrics"
SCORE = "vaultra.score"
ACCOUNT_ROUTING = "vaultra.account-routing"
SETTLEMENTS = "vaultra.settlements"
SESSION_FAMILY = "vaultra.session-family"


def lock_key(namespace: str, value: object) -> int:
    digest = hashlib.blake2b(f"{namespace}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Locks:
    """Advisory locks on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def hold_for_transaction(self, namespace: str, value: object, *, shared: bool = False) -> None:
        """Wait for the lock, held until the transaction ends (prepared: the webhook's hot path)."""
        kind = "_shared" if shared else ""
        run_prepared(
            self._conn, f"SELECT pg_advisory_xact_lock{kind}(:k)", k=lock_key(namespace, value)
        )

    def try_session_lock(self, namespace: str, value: object) -> bool:
        """Take the lock for the connection's session if free; never waits."""
        return bool(
            self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(namespace, value)}
            ).scalar_one()
        )

    def release_session_lock(self, namespace: str, value: object) -> None:
        self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(namespace, value)})
