"""What a write tells the late-data catch-up: the earliest moment its changed rows are about — or
none, when a newer version changed only columns no metric reads (a refund's total on its charge).
Such a version is still written; and the list of those columns is kept honest against the SQL the
metrics run."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from vaultra.db import metrics_query
from vaultra.db.ledger_writer import NOT_METRIC_INPUTS, Batch, Written, write_batch
from vaultra.stripe.mapping import normalize

from tests.support.ledger_records import new_business
from tests.support.stripe_payloads import charge

SOLD = datetime(2026, 9, 10, 12, tzinfo=UTC)
LATER = SOLD.timestamp() + 40 * 86_400  # the versions below: observed weeks after the sale
VERSIONS = itertools.count()


def write(conn: Connection, business: uuid.UUID, *objects: dict[str, Any]) -> Written:
    """One batch of charge objects, each a newer version than any written before."""
    batch = Batch()
    for obj in objects:
        n = next(VERSIONS)
        batch.add(normalize(obj, observed_at=LATER + n, source="event"), LATER + n, f"evt_{n}")
    return write_batch(conn, business, False, batch)


def write_version(
    conn: Connection, business: uuid.UUID, obj: dict[str, Any], *, at: float
) -> Written:
    batch = Batch()
    batch.add(normalize(obj, observed_at=at, source="event"), at, f"evt_at_{at}")
    return write_batch(conn, business, False, batch)


def sale(charge_id: str = "ch_old", **fields: Any) -> dict[str, Any]:
    return charge(charge_id, amount=5_000, created=int(SOLD.timestamp()), **fields)


@pytest.fixture
def conn(engine: Engine) -> Any:
    with engine.begin() as connection:
        yield connection


@pytest.fixture
def business(conn: Connection) -> uuid.UUID:
    return new_business(conn)


def stored(conn: Connection, charge_id: str) -> tuple[int, int, bool]:
    return tuple(  # type: ignore[return-value]
        conn.execute(
            text("SELECT amount_captured, amount_refunded, refunded FROM charges WHERE id = :i"),
            {"i": charge_id},
        ).one()
    )


def test_a_new_charge_is_a_change_from_its_own_day(conn: Connection, business: uuid.UUID) -> None:
    assert write(conn, business, sale()) == Written(1, SOLD)


def test_a_refund_on_an_old_charge_is_written_but_changes_no_past_day(
    conn: Connection, business: uuid.UUID
) -> None:
    write(conn, business, sale())

    refunded = write(conn, business, sale(amount_refunded=5_000, refunded=True))
    disputed = write(conn, business, sale(amount_refunded=5_000, refunded=True, disputed=True))

    assert refunded == Written(1, None) and disputed == Written(1, None)
    assert stored(conn, "ch_old") == (5_000, 5_000, True)


def test_a_change_to_what_the_metrics_read_is_a_change_from_the_charges_day(
    conn: Connection, business: uuid.UUID
) -> None:
    write(conn, business, sale(captured=False, amount_captured=0, status="pending"))

    captured = write(conn, business, sale(amount_refunded=1_000))  # captured, and a refund

    assert captured == Written(1, SOLD)
    assert stored(conn, "ch_old") == (5_000, 1_000, False)


def test_a_redelivered_or_older_version_changes_nothing(
    conn: Connection, business: uuid.UUID
) -> None:
    refunded = sale(amount_refunded=5_000, refunded=True)
    write_version(conn, business, sale(), at=LATER)
    write_version(conn, business, refunded, at=LATER + 1)

    assert write_version(conn, business, refunded, at=LATER + 1) == Written(0, None)  # again
    assert write_version(conn, business, sale(), at=LATER) == Written(0, None)  # older
    assert stored(conn, "ch_old") == (5_000, 5_000, True)


def test_one_batch_of_a_new_charge_and_a_refunded_old_one_counts_both_and_dates_the_new(
    conn: Connection, business: uuid.UUID
) -> None:
    write(conn, business, sale())
    newer = datetime(2026, 10, 20, 9, tzinfo=UTC)

    written = write(
        conn,
        business,
        sale(amount_refunded=2_000),
        charge("ch_new", amount=700, created=int(newer.timestamp())),
    )

    assert written == Written(2, newer)
    assert stored(conn, "ch_old") == (5_000, 2_000, False)


def test_no_metric_reads_a_column_listed_as_read_by_none() -> None:
    """The metrics' SQL lives in `vaultra.db.metrics_query`: none of its text names a column
    listed in `NOT_METRIC_INPUTS` (as a word: `amount_refunded` is not `amount`)."""
    source = Path(metrics_query.__file__).read_text()
    for table, columns in NOT_METRIC_INPUTS.items():
        assert re.search(rf"\b{table}\b", source), table
        for column in columns:
            assert not re.search(rf"\b{column}\b", source), f"{table}.{column} is read"
