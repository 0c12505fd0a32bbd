"""Row checks against the schema: derived from the column definitions, as strict as PostgreSQL
where PostgreSQL refuses (checked against a real one), and naming table, row, column and why."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import BigInteger, Connection, Engine, Integer, String
from sqlalchemy.exc import DBAPIError
from vaultra.db import ledger_writer
from vaultra.db.ledger_writer import Batch, write_batch
from vaultra.db.models import Base
from vaultra.db.row_checks import (
    FILLED_BY_WRITER,
    UNIX_TIME_MAX,
    UNIX_TIME_MIN,
    InvalidRow,
    check_mapped,
    check_rows,
    column_problem,
)
from vaultra.stripe import mapping

from tests.support.ledger_records import new_business
from tests.support.poison_corpus import (
    APPLIED,
    body_of,
    cases,
    poisoned_events,
    valid_event,
    validate,
)

TABLES = sorted(Base.metadata.tables)
NOW = 1_700_000_000
NUL, SURROGATE = "\x00", "\ud800"

# Rows as `vaultra.stripe.mapping` makes them: times in unix seconds, no tenant or version yet.
CHARGE = {
    "id": "ch_1",
    "created": NOW,
    "customer_id": "cus_1",
    "amount": 5000,
    "amount_captured": 5000,
    "amount_refunded": 0,
    "currency": "usd",
    "status": "succeeded",
    "paid": True,
    "captured": True,
    "refunded": False,
    "disputed": False,
    "failure_code": None,
    "balance_transaction_id": "txn_1",
    "invoice_id": None,
    "payment_intent_id": "pi_1",
}
SUBSCRIPTION = {
    "id": "sub_1",
    "created": NOW,
    "customer_id": "cus_1",
    "status": "active",
    "currency": "usd",
    "current_period_start": NOW,
    "cancel_at_period_end": False,
    "discount": {"coupon_id": "HALF", "percent_off": 50.0, "start": NOW, "end": None},
}
ITEM = {
    "id": "si_1",
    "created": NOW,
    "subscription_id": "sub_1",
    "quantity": 2,
    "interval_count": 1,
}
STATE = {
    "subscription_id": "sub_1",
    "valid_from": NOW,
    "source": "event",
    "customer_id": "cus_1",
    "status": "active",
    "items": [{"item_id": "si_1", "quantity": 2, "unit_amount": 4900}],
    "cancel_at_period_end": False,
}


def a_charge(**changes: Any) -> dict[str, Any]:
    return {**CHARGE, **changes}


def refusal(table: str, row: dict[str, Any]) -> InvalidRow:
    with pytest.raises(InvalidRow) as refused:
        check_rows(table, [row])
    return refused.value


# --- Derived from the schema ----------------------------------------------------------------


def test_every_column_of_every_table_has_a_check() -> None:
    for table in TABLES:
        check_rows(table, [])  # builds the table's checks; an unknown column type would raise


def test_every_string_column_holds_its_declared_length_and_no_more() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                n = column.type.length
                assert column_problem(table.name, column.name, "x" * n) is None
                problem = column_problem(table.name, column.name, "x" * (n + 1))
                assert problem and f"longer than the column's {n} characters" in problem


def test_every_integer_column_holds_its_range_and_no_more() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Integer):
                bits = 64 if isinstance(column.type, BigInteger) else 32
                top, bottom = 2 ** (bits - 1) - 1, -(2 ** (bits - 1))
                for fits in (top, bottom, 0):
                    assert column_problem(table.name, column.name, fits) is None
                for beyond in (top + 1, bottom - 1):
                    assert f"{bits}-bit" in str(column_problem(table.name, column.name, beyond))
                assert "expected an integer" in str(column_problem(table.name, column.name, True))


def test_a_new_table_or_column_needs_no_new_check() -> None:
    # Every table of the schema is checkable, not only the ledger's.
    assert {"stripe_events", "job_runs", "metric_runs", "readiness_scores"} <= set(TABLES)
    assert column_problem("job_runs", "kind", "k" * 65) is not None
    assert column_problem("metric_runs", "notes", {"a": NUL}) is not None


# --- Each kind of value ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("amount", "5000", "is '5000' (a string), expected an integer"),
        ("amount", 5000.0, "is 5000.0 (a number), expected an integer"),
        ("amount", False, "is false (a boolean), expected an integer"),
        ("amount", 2**63, "beyond the 64-bit integer column"),
        ("id", f"ch_{NUL}", "contains a NUL character"),
        ("id", f"ch_{SURROGATE}", "contains a lone surrogate (U+D800 at 3)"),
        ("id", 42, "is 42 (an integer), expected a string"),
        ("currency", "usdx", "longer than the column's 3 characters"),
        ("paid", 1, "is 1 (an integer), expected a boolean"),
        ("paid", "true", "expected a boolean"),
        ("created", "2024-01-01", "expected a unix time in seconds"),
        ("created", UNIX_TIME_MAX + 1, "years 1 to 9999"),
        ("created", UNIX_TIME_MIN - 1, "years 1 to 9999"),
        ("created", float("inf"), "years 1 to 9999"),
        ("created", float("nan"), "years 1 to 9999"),
    ],
)
def test_a_value_the_column_cannot_hold_is_refused_by_name(
    column: str, value: Any, problem: str
) -> None:
    refused = refusal("charges", a_charge(**{column: value}))

    assert (refused.table, refused.column) == ("charges", column)
    assert problem in refused.problem
    assert str(refused).startswith("charges ") and f"`{column}`" in str(refused)
    assert "\x00" not in str(refused)
    str(refused).encode("utf-8")


def test_times_are_unix_seconds_within_what_datetime_holds() -> None:
    for fits in (UNIX_TIME_MIN, 0, 1_700_000_000, 1_700_000_000.5, UNIX_TIME_MAX):
        check_rows("charges", [a_charge(created=fits)])


def test_exchange_rate_fits_numeric_24_12_after_rounding() -> None:
    def problem(rate: Any) -> str | None:
        return column_problem("balance_transactions", "exchange_rate", rate)

    assert problem(999_999_999_999.0) is None
    assert problem(0.000_000_000_000_4) is None  # rounds to 0
    assert problem(-1.5) is None
    assert "numeric(24, 12)" in str(problem(1e12))
    assert "numeric(24, 12)" in str(problem(10**30))
    assert "finite" in str(problem(float("nan")))
    assert "finite" in str(problem("1.1"))


@pytest.mark.parametrize(
    ("discount", "problem"),
    [
        ({"coupon_id": f"HALF{NUL}"}, "at `coupon_id` contains a NUL"),
        ({"coupon_id": f"HALF{SURROGATE}"}, "at `coupon_id` contains a lone surrogate"),
        ({f"k{NUL}": 1}, "has a key 'k\\x00' (a string)"),
        ({"percent_off": float("nan")}, "at `percent_off` is nan (a number)"),
        ({"amount_off": 2**64}, "at `amount_off` is 18446744073709551616"),
        ({"a": [1, [2, {"b": NUL}]]}, "at `a[1][1].b` contains a NUL"),
        ({"a": {1, 2}}, "at `a` is a set, which is not a JSON value"),
        ({1: "x"}, "has a key 1 (an integer)"),
    ],
)
def test_json_columns_hold_only_what_jsonb_holds_at_any_depth(
    discount: dict[Any, Any], problem: str
) -> None:
    assert problem in refusal("subscriptions", {**SUBSCRIPTION, "discount": discount}).problem


def test_json_nested_too_deep_is_refused_without_recursing() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert "nests deeper than" in str(column_problem("subscriptions", "discount", deep))


def test_a_not_null_column_must_have_a_value_unless_the_writer_fills_it() -> None:
    row = a_charge()
    assert not FILLED_BY_WRITER & set(row) - {"created"}
    check_rows("charges", [row])  # no business_id, livemode, version yet: the writer adds them

    del row["amount"]
    refused = refusal("charges", row)
    assert (refused.column, refused.problem) == ("amount", "is null, but the column is NOT NULL")
    with pytest.raises(InvalidRow, match="`business_id` is null"):
        check_rows("charges", [a_charge()], filled_later=frozenset())


def test_a_key_that_is_not_a_column_is_a_mapping_mistake() -> None:
    with pytest.raises(InvalidRow, match="`amount_in_dollars` is not a column of the table"):
        check_rows("charges", [a_charge(amount_in_dollars=50)])


def test_an_unknown_table_or_a_row_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidRow, match="not_a_table"):
        check_rows("not_a_table", [{}])
    with pytest.raises(InvalidRow, match="expected a mapping"):
        check_rows("charges", ["ch_1"])  # type: ignore[list-item]


def test_a_row_is_named_by_its_key_even_when_the_key_is_poison() -> None:
    refused = refusal("charges", a_charge(id=NUL * 10_000 + "x"))
    assert len(str(refused)) < 300
    assert refused.row_id == NUL * 10_000 + "x"
    refused = refusal("subscription_states", {**STATE, "status": "s" * 33})
    assert str(refused).startswith("subscription_states sub_1: `status`")


def test_every_table_of_a_mapping_result_is_checked() -> None:
    rows = {
        "subscriptions": [SUBSCRIPTION],
        "subscription_items": [ITEM],
        "subscription_states": [STATE],
    }
    check_mapped(rows)
    rows["subscription_items"] = [{**ITEM, "interval_count": 2**31}]
    with pytest.raises(InvalidRow, match="subscription_items si_1: `interval_count`"):
        check_mapped(rows)


# --- Not weaker than PostgreSQL -------------------------------------------------------------


def mapped(kind: str) -> mapping.Rows:
    verdict = validate(body_of(valid_event(kind)))
    assert verdict.rows is not None
    return verdict.rows


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    nested = conn.begin_nested()
    try:
        yield
    finally:
        nested.rollback()


def write(conn: Connection, business: uuid.UUID, rows: mapping.Rows, created: int) -> None:
    batch = Batch()
    batch.add(copy.deepcopy(rows), created, "evt_check")
    write_batch(conn, business, False, batch)


def test_postgresql_accepts_the_rows_of_every_applied_corpus_case(engine: Engine) -> None:
    applied = [c for c in cases() if c.outcome == APPLIED]
    with engine.connect() as conn, conn.begin():
        business = new_business(conn)
        for case in applied:
            verdict = validate(case.body)
            assert verdict.rows is not None and verdict.event is not None, case.name
            with savepoint(conn):
                write(conn, business, verdict.rows, verdict.event.created)


# A column at the edge of what it holds (accepted by the check and by PostgreSQL), and one step
# beyond it (refused by both). Beyond the edge of times, Python's datetime refuses first.
EDGES = [
    ("charges", "amount", 2**63 - 1, 2**63),
    ("charges", "amount", -(2**63), -(2**63) - 1),
    ("charges", "id", "x" * 255, "x" * 256),
    ("charges", "currency", "usd", "usdx"),
    ("charges", "status", "s" * 16, "s" * 17),
    ("charges", "status", "succeeded", f"succeeded{NUL}"),
    ("charges", "failure_code", "é" * 64, "é" * 65),
    ("charges", "customer_id", "cus_☃", f"cus_{SURROGATE}"),
    ("charges", "amount", 5000, 50.5),
    ("charges", "created", UNIX_TIME_MAX, None),
    ("charges", "created", UNIX_TIME_MIN, None),
    ("invoice_lines", "interval_count", 2**31 - 1, 2**31),
    ("invoice_lines", "quantity", 2**63 - 1, 2**63),
    ("balance_transactions", "exchange_rate", 999_999_999_999.0, 1e12),
    ("subscriptions", "discount", {"coupon_id": "HALF"}, {"coupon_id": f"HALF{NUL}"}),
    ("subscriptions", "discount", {"percent_off": 50.0}, {"percent_off": float("nan")}),
    ("subscription_states", "items", [{"price_id": "p"}], [{"price_id": f"p{SURROGATE}"}]),
]
KIND_OF = {
    "charges": "charge",
    "invoice_lines": "invoice",
    "balance_transactions": "balance_transaction",
    "subscriptions": "subscription",
    "subscription_states": "subscription",
}


@pytest.mark.parametrize(
    ("table", "column", "edge", "beyond"),
    EDGES,
    ids=[f"{t}.{c}={str(b)[:20]!r}" for t, c, _, b in EDGES],
)
def test_check_and_postgresql_agree_at_a_columns_edge(
    engine: Engine, table: str, column: str, edge: Any, beyond: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = mapped(KIND_OF[table])
    with engine.connect() as conn, conn.begin():
        business = new_business(conn)
        rows[table][0][column] = edge
        check_mapped(rows)
        with savepoint(conn):
            write(conn, business, rows, 1_700_000_000)
        if beyond is None:
            return
        rows[table][0][column] = beyond
        with pytest.raises(InvalidRow, match=f"`{column}`"):
            check_mapped(rows)
        # What PostgreSQL alone does with it: the batch's own check stood aside.
        monkeypatch.setattr(ledger_writer, "check_mapped", lambda _rows: None)
        with savepoint(conn), pytest.raises(DBAPIError) as refused:
            write(conn, business, rows, 1_700_000_000)
        assert refused.value.orig.args[0]["C"].startswith("22")  # SQLSTATE class 22: data exception


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(evt=poisoned_events())
def test_postgresql_accepts_whatever_passes_the_check(engine: Engine, evt: Any) -> None:
    verdict = validate(body_of(evt))
    if verdict.rows is None or verdict.event is None:
        return
    with engine.connect() as conn, conn.begin():
        business = new_business(conn)
        write(conn, business, verdict.rows, verdict.event.created)
        conn.rollback()


def test_an_array_column_checks_every_element_as_its_item_type() -> None:
    assert column_problem("knowledge_chunks", "topics", ["disputes", "refunds"]) is None
    problem = column_problem("knowledge_chunks", "topics", ["disputes", 5])
    assert problem and problem.startswith("at [1] is") and "expected a string" in problem
    assert "expected a list" in (column_problem("knowledge_chunks", "topics", "disputes") or "")
    assert "is null" in (column_problem("knowledge_chunks", "topics", ["a", None]) or "")


def test_a_generated_column_is_never_written() -> None:
    problem = column_problem("knowledge_chunks", "search", "'dispute':1")
    assert problem and "computed by the database" in problem
