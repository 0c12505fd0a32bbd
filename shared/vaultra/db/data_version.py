"""Data versions: "has this computation seen that change?", answered by PostgreSQL itself.

A producer that changed a business's data sends, with its "data changed" message, the id of a
transaction that committed after the change (`current_transaction_id` inside the writing
transaction, or `committed_transaction_id` afterwards). A consumer records the snapshot its
computation read (`read_snapshot`). The change was seen exactly when that transaction is visible in
that snapshot (`pg_visible_in_snapshot`): no clocks, no counters, no extra writes on the hot path.
Transaction ids are 64-bit (`xid8`) and never wrap around.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text


def current_transaction_id(conn: Connection) -> str:
    """The id of the caller's transaction (assigning one if it has none yet)."""
    return str(conn.execute(text("SELECT pg_current_xact_id()::text")).scalar_one())


def committed_transaction_id(engine: Engine) -> str:
    """The id of a fresh, committed transaction: later than every commit before this call."""
    with engine.begin() as conn:
        return current_transaction_id(conn)


def read_snapshot(conn: Connection) -> str:
    """The snapshot of the caller's transaction (REPEATABLE READ: the one all its reads use)."""
    return str(conn.execute(text("SELECT pg_current_snapshot()::text")).scalar_one())


def seen_in(conn: Connection, transaction_id: str, snapshot: str) -> bool:
    """Whether `transaction_id` had committed when `snapshot` was taken."""
    return bool(
        conn.execute(
            text("SELECT pg_visible_in_snapshot(CAST(:x AS xid8), CAST(:s AS pg_snapshot))"),
            {"x": transaction_id, "s": snapshot},
        ).scalar_one()
    )
