"""Move metric records between the reference implementation and a real database.

`load_ledger` writes a hand-made or generated `Ledger` into the ledger tables (with balance
transactions for settled amounts), so the SQL engine reads exactly what the reference reads.
`read_ledger` goes the other way, for histories that came in through the real ingestion paths.
`save_metrics` writes a metric run with chosen values, as scoring finds it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text
from vaultra.db.ledger_writer import refresh_mrr_changes
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.metrics.records import (
    ChargeRecord,
    DisputeRecord,
    InvoiceLineRecord,
    Ledger,
    PayoutRecord,
    RefundRecord,
    StateRecord,
)
from vaultra.domain.mrr import Discount, Item

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def new_business(
    conn: Connection, name: str = "Test business", currency: str | None = None
) -> uuid.UUID:
    return conn.execute(
        text("INSERT INTO businesses (name, default_currency) VALUES (:n, :c) RETURNING id"),
        {"n": name, "c": currency},
    ).scalar_one()


def _insert(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
        ),
        rows,
    )


def _common(business_id: uuid.UUID, object_id: str, created: datetime) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "id": object_id,
        "livemode": False,
        "created": created,
        "version_at": created,
        "version_key": "",
    }


def _bt(
    business_id: uuid.UUID,
    bt_id: str,
    created: datetime,
    amount: int,
    currency: str,
    kind: str,
    source: str,
) -> dict[str, Any]:
    return {
        **_common(business_id, bt_id, created),
        "amount": amount,
        "fee": 0,
        "net": amount,
        "currency": currency,
        "type": kind,
        "reporting_category": kind,
        "source_id": source,
    }


def load_ledger(conn: Connection, business_id: uuid.UUID, ledger: Ledger) -> None:
    b = business_id
    bts: list[dict[str, Any]] = []
    charges = []
    for c in ledger.charges:
        bt_id = None
        if c.settled_amount is not None:
            bt_id = f"txn_{c.id}"
            bts.append(
                _bt(b, bt_id, c.created, c.settled_amount, c.settled_currency or "", "charge", c.id)
            )
        charges.append(
            {
                **_common(b, c.id, c.created),
                "customer_id": c.customer_id,
                "amount": c.amount_captured,
                "amount_captured": c.amount_captured,
                "amount_refunded": 0,
                "currency": c.currency,
                "status": c.status,
                "paid": c.status == "succeeded",
                "captured": c.captured,
                "refunded": False,
                "disputed": False,
                "balance_transaction_id": bt_id,
            }
        )
    refunds = []
    for r in ledger.refunds:
        bt_id = None
        if r.settled_amount is not None:
            bt_id = f"txn_{r.id}"
            bts.append(
                _bt(
                    b, bt_id, r.created, -r.settled_amount, r.settled_currency or "", "refund", r.id
                )
            )
        refunds.append(
            {
                **_common(b, r.id, r.created),
                "amount": r.amount,
                "currency": r.currency,
                "status": r.status,
                "balance_transaction_id": bt_id,
            }
        )
    disputes = []
    for d in ledger.disputes:
        if d.settled_amount is not None:
            bts.append(
                _bt(
                    b,
                    f"txn_{d.id}",
                    d.created,
                    -d.settled_amount,
                    d.settled_currency or "",
                    "adjustment",
                    d.id,
                )
            )
        disputes.append(
            {
                **_common(b, d.id, d.created),
                "amount": d.amount,
                "currency": d.currency,
                "status": d.status,
                "closed_at": d.closed_at,
            }
        )
    payouts = [
        {
            # A payout without `created` must not move `data_through`: date it before anything.
            **_common(b, p.id, p.created or LONG_AGO),
            "amount": 1000,
            "currency": "usd",
            "status": p.status,
            "arrival_date": p.arrival_date,
        }
        for p in ledger.payouts
    ]
    customers = [
        {**_common(b, f"cus_other_{i}", t), "deleted": False}
        for i, t in enumerate(ledger.other_times)
    ]
    states = [
        {
            "business_id": b,
            "subscription_id": s.subscription_id,
            "valid_from": s.valid_from,
            "version_key": s.version_key,
            "source": s.source,
            "livemode": False,
            "customer_id": s.customer_id,
            "status": s.status,
            "currency": s.currency,
            "items": json.dumps([_item_json(i) for i in s.items]),
            "discount": json.dumps(_discount_json(s.discount)) if s.discount else None,
            "cancel_at_period_end": False,
            "ended_at": None,
        }
        for s in ledger.states
    ]
    # Each line on an invoice of its own, carrying the line's invoice status.
    invoices = [
        {
            **_common(b, f"in_{line.id}", line.created),
            "subscription_id": line.subscription_id,
            "status": line.invoice_status,
            "currency": "usd",
            "amount_due": line.amount,
            "amount_paid": 0,
        }
        for line in ledger.invoice_lines
    ]
    lines = [
        {
            **_common(b, line.id, line.created),
            "invoice_id": f"in_{line.id}",
            "subscription_id": line.subscription_id,
            "subscription_item_id": line.subscription_item_id,
            "amount": line.amount,
            "currency": "usd",
            "unit_amount": line.unit_amount,
            "interval": line.interval,
            "interval_count": line.interval_count,
            "usage_type": line.usage_type,
            "proration": line.proration,
            "period_start": line.period_start,
            "period_end": line.period_end,
        }
        for line in ledger.invoice_lines
    ]
    _insert(conn, "balance_transactions", bts)
    _insert(conn, "invoices", invoices)
    _insert(conn, "invoice_lines", lines)
    _insert(conn, "charges", charges)
    _insert(conn, "refunds", refunds)
    _insert(conn, "disputes", disputes)
    _insert(conn, "payouts", payouts)
    _insert(conn, "customers", customers)
    # Half the syncs as webhooks received (an event without `created`, so `data_through` does not
    # move), half as imports completed; a failed import and another job's run must not count.
    _insert(
        conn,
        "stripe_events",
        [
            {
                "id": f"evt_sync_{b.hex[:8]}_{i}",
                "business_id": b,
                "source": "webhook",
                "body": "{}",
                "status": "processed",
                "received_at": t,
            }
            for i, t in enumerate(ledger.syncs)
            if i % 2 == 0
        ],
    )
    _insert(
        conn,
        "job_runs",
        [
            {"kind": kind, "business_id": b, "status": status, "started_at": t, "finished_at": at}
            for i, t in enumerate(ledger.syncs)
            if i % 2 == 1
            for kind, status, at in (
                ("backfill" if i % 4 == 1 else "demo_data", "succeeded", t),
                ("backfill", "failed", t + timedelta(days=1)),
            )
        ]
        + [
            {
                "kind": "metrics_refresh",
                "business_id": b,
                "status": "succeeded",
                "started_at": LONG_AGO,
                "finished_at": datetime(2100, 1, 1, tzinfo=UTC),
            }
        ],
    )
    if states:
        conn.execute(
            text(
                "INSERT INTO subscription_states (business_id, subscription_id, valid_from, "
                "version_key, source, livemode, customer_id, status, currency, items, discount, "
                "cancel_at_period_end, ended_at) VALUES (:business_id, :subscription_id, "
                ":valid_from, :version_key, :source, :livemode, :customer_id, :status, :currency, "
                "CAST(:items AS jsonb), CAST(:discount AS jsonb), :cancel_at_period_end, :ended_at)"
            ),
            states,
        )
        # What the ledger writer does when it inserts states (the metrics read MRR from it).
        refresh_mrr_changes(conn, b)


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "unit_amount": item.unit_amount,
        "quantity": item.quantity,
        "interval": item.interval,
        "interval_count": item.interval_count,
        "usage_type": item.usage_type,
        "item_id": item.item_id,
    }


def _discount_json(discount: Discount) -> dict[str, Any]:
    return {
        "duration": discount.duration,
        "percent_off": float(discount.percent_off) if discount.percent_off is not None else None,
        "amount_off": discount.amount_off,
    }


def _items(raw: list[dict[str, Any]]) -> tuple[Item, ...]:
    return tuple(
        Item(
            i.get("unit_amount"),
            i.get("quantity"),
            i.get("interval"),
            i.get("interval_count"),
            i.get("usage_type"),
            i.get("item_id"),
        )
        for i in raw
    )


def _discount(raw: dict[str, Any] | None) -> Discount | None:
    if not raw:
        return None
    percent = raw.get("percent_off")
    return Discount(
        raw.get("duration") or "",
        Decimal(str(percent)) if percent is not None else None,
        raw.get("amount_off"),
    )


def read_ledger(conn: Connection, business_id: uuid.UUID, currency: str) -> Ledger:
    """The records of a business as the reference implementation reads them."""
    p = {"b": business_id, "cur": currency}
    charges = tuple(
        ChargeRecord(
            r.id,
            r.created,
            r.amount_captured,
            r.currency,
            r.customer_id,
            r.status,
            r.captured,
            r.bt_amount,
            r.bt_currency,
        )
        for r in conn.execute(
            text(
                "SELECT c.*, bt.amount AS bt_amount, bt.currency AS bt_currency FROM charges c "
                "LEFT JOIN balance_transactions bt ON bt.business_id = c.business_id "
                "AND bt.id = c.balance_transaction_id WHERE c.business_id = :b"
            ),
            p,
        )
    )
    refunds = tuple(
        RefundRecord(
            r.id,
            r.created,
            r.amount,
            r.currency,
            r.status,
            abs(r.bt_amount) if r.bt_amount is not None else None,
            r.bt_currency,
        )
        for r in conn.execute(
            text(
                "SELECT r.*, bt.amount AS bt_amount, bt.currency AS bt_currency FROM refunds r "
                "LEFT JOIN balance_transactions bt ON bt.business_id = r.business_id "
                "AND bt.id = r.balance_transaction_id WHERE r.business_id = :b"
            ),
            p,
        )
    )
    disputes = tuple(
        DisputeRecord(
            r.id,
            r.created,
            r.amount,
            r.currency,
            r.status,
            r.closed_at,
            abs(r.bt_amount) if r.bt_amount is not None else None,
            currency if r.bt_amount is not None else None,
        )
        for r in conn.execute(
            text(
                "SELECT d.*, (SELECT bt.amount FROM balance_transactions bt WHERE bt.business_id = d.business_id "
                "AND bt.source_id = d.id AND bt.currency = :cur AND bt.amount < 0 "
                'ORDER BY bt.created, bt.id COLLATE "C" LIMIT 1) AS bt_amount '
                "FROM disputes d WHERE d.business_id = :b"
            ),
            p,
        )
    )
    payouts = tuple(
        PayoutRecord(r.id, r.arrival_date, r.status)
        for r in conn.execute(text("SELECT * FROM payouts WHERE business_id = :b"), p)
    )
    states = tuple(
        StateRecord(
            r.subscription_id,
            r.customer_id,
            r.valid_from,
            r.status,
            _items(r.items),
            _discount(r.discount),
            r.currency,
            r.source,
            r.version_key,
        )
        for r in conn.execute(text("SELECT * FROM subscription_states WHERE business_id = :b"), p)
    )
    invoice_lines = tuple(
        InvoiceLineRecord(
            r.id,
            r.subscription_id,
            r.subscription_item_id,
            r.amount,
            r.created,
            r.period_start,
            r.period_end,
            r.interval,
            r.interval_count,
            r.unit_amount,
            r.usage_type,
            r.proration,
            r.status,
        )
        for r in conn.execute(
            text(
                "SELECT l.*, i.status FROM invoice_lines l JOIN invoices i "
                "ON i.business_id = l.business_id AND i.id = l.invoice_id "
                "WHERE l.business_id = :b"
            ),
            p,
        )
    )
    other_times = tuple(
        t
        for (t,) in conn.execute(
            text(
                "SELECT created FROM stripe_events WHERE business_id = :b AND created IS NOT NULL "
                "UNION ALL SELECT created FROM payouts WHERE business_id = :b "
                "UNION ALL SELECT created FROM balance_transactions WHERE business_id = :b "
                "UNION ALL SELECT created FROM customers WHERE business_id = :b "
                "UNION ALL SELECT created FROM invoices WHERE business_id = :b "
                "UNION ALL SELECT created FROM subscriptions WHERE business_id = :b"
            ),
            p,
        )
    )
    syncs = tuple(
        t
        for (t,) in conn.execute(
            text(
                "SELECT received_at FROM stripe_events WHERE business_id = :b "
                "UNION ALL SELECT finished_at FROM job_runs WHERE business_id = :b "
                "AND kind IN ('backfill', 'demo_data') AND status = 'succeeded' "
                "AND finished_at IS NOT NULL"
            ),
            p,
        )
    )
    return Ledger(
        charges=charges,
        refunds=refunds,
        disputes=disputes,
        payouts=payouts,
        states=states,
        invoice_lines=invoice_lines,
        other_times=other_times,
        syncs=syncs,
    )


def save_metrics(
    conn: Connection,
    business_id: uuid.UUID,
    as_of: date,
    values: dict[str, Any],
    *,
    computed_at: datetime,
    currency: str | None = "usd",
    notes: dict[str, str] | None = None,
) -> None:
    """A saved metric run as `compute_metrics` leaves it, with chosen values: what scoring reads."""
    UnitOfWork(conn).metrics.save(
        business_id,
        as_of,
        values,
        currency=currency,
        notes=notes or {},
        read_snapshot="1:1:",
        duration_ms=1,
        computed_at=computed_at,
    )
