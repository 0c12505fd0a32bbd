"""Advisory locks are keyed by 64 bits: two businesses whose ids collide under PostgreSQL's 32-bit
`hashtext` (likely among a hundred thousand) never share a lock."""

from __future__ import annotations

from sqlalchemy import Engine, text
from vaultra.db import locks
from vaultra.db.unit_of_work import Database


def colliding_ids(engine: Engine) -> tuple[str, str]:
    """Two random uuids with the same `hashtext`: a birthday search over 200,000 of them, which
    finds none about once in a hundred (200,000² ÷ 2³³ ≈ 4.7 pairs expected, e^-4.7 ≈ 0.9 %), so
    it searches again, up to five times (all fail about once in 10^10)."""
    with engine.connect() as conn:
        for _ in range(5):
            row = conn.execute(
                text(
                    "WITH ids AS (SELECT gen_random_uuid()::text AS id"
                    " FROM generate_series(1, 200000))"
                    " SELECT min(id), max(id) FROM ids GROUP BY hashtext(id) HAVING count(*) > 1"
                    " LIMIT 1"
                )
            ).one_or_none()
            if row is not None:
                return row[0], row[1]
    raise AssertionError("no two of 1,000,000 random uuids share a hashtext")


def test_ids_that_collide_under_hashtext_hold_separate_locks(engine: Engine) -> None:
    first, second = colliding_ids(engine)
    assert first != second
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT hashtext(:a) = hashtext(:b)"), {"a": first, "b": second}
        ).scalar_one()

    assert locks.lock_key(locks.METRICS, first) != locks.lock_key(locks.METRICS, second)
    db = Database(engine)
    with db.session() as holder, db.session() as other:
        assert holder.try_lock(locks.METRICS, first)
        assert other.try_lock(locks.METRICS, second)  # not blocked by the other business
        assert not other.try_lock(locks.METRICS, first)  # but the same one is


def test_a_lock_still_held_when_its_session_ends_is_released(engine: Engine) -> None:
    db = Database(engine)
    with db.session() as holder:
        assert holder.try_lock(locks.METRICS, "business-1")

    with db.session() as next_one:  # the pool may hand back the very same connection
        assert next_one.try_lock(locks.METRICS, "business-1")


def test_lock_keys_are_namespaced_and_fit_a_signed_bigint() -> None:
    key = locks.lock_key(locks.METRICS, "b")

    assert key != locks.lock_key(locks.SCORE, "b")
    assert -(2**63) <= key < 2**63
