"""Ledger records as the reference implementation reads them: plain values, no I/O.

Each record keeps the ledger columns a metric needs, plus the settled amount of its balance
transaction (`settled_amount`, `settled_currency`) where Stripe converted it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vaultra.domain.mrr import (
    BILLING_INTERVALS,
    UNBILLED_INVOICE_STATUSES,
    BilledLine,
    Discount,
    Item,
)

# Disputes in these statuses are inquiries (retrieval requests), not chargebacks: counted apart.
INQUIRY_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "warning_closed"})
# Refunds in these statuses moved no money.
VOID_REFUND_STATUSES = frozenset({"failed", "canceled"})


@dataclass(frozen=True)
class ChargeRecord:
    id: str
    created: datetime
    amount_captured: int
    currency: str
    customer_id: str | None = None
    status: str = "succeeded"
    captured: bool = True
    settled_amount: int | None = None  # the balance transaction's amount
    settled_currency: str | None = None


@dataclass(frozen=True)
class RefundRecord:
    id: str
    created: datetime
    amount: int
    currency: str
    status: str | None = "succeeded"
    settled_amount: int | None = None  # absolute value of the balance transaction's amount
    settled_currency: str | None = None


@dataclass(frozen=True)
class DisputeRecord:
    id: str
    created: datetime
    amount: int
    currency: str
    status: str = "needs_response"
    closed_at: datetime | None = None
    settled_amount: int | None = None  # absolute value of its first debit balance transaction
    settled_currency: str | None = None


@dataclass(frozen=True)
class PayoutRecord:
    id: str
    arrival_date: datetime
    status: str
    created: datetime | None = None


@dataclass(frozen=True)
class StateRecord:
    """One row of `subscription_states`."""

    subscription_id: str
    customer_id: str
    valid_from: datetime
    status: str
    items: tuple[Item, ...] = ()
    discount: Discount | None = None
    currency: str | None = None
    source: str = "event"
    version_key: str = ""


@dataclass(frozen=True)
class InvoiceLineRecord:
    """One row of `invoice_lines`, with its invoice's status."""

    id: str
    subscription_id: str | None
    subscription_item_id: str | None
    amount: int
    created: datetime  # the invoice's
    period_start: datetime | None
    period_end: datetime | None
    interval: str | None = "month"
    interval_count: int | None = 1
    unit_amount: int | None = None
    usage_type: str | None = "metered"
    proration: bool = False
    invoice_status: str | None = "paid"

    def billed(self) -> BilledLine | None:
        """The line as a bill of a usage-priced item (docs/METRICS.md), or None when it is not
        one: a proration, on a draft or void invoice, for an item with a unit price (licensed
        per unit: priced from the subscription's state), or missing what places it in time or
        normalizes it to a month."""
        if (
            self.proration
            or self.invoice_status in UNBILLED_INVOICE_STATUSES
            or self.subscription_item_id is None
            or not (self.unit_amount is None or self.usage_type == "metered")
            or self.interval not in BILLING_INTERVALS
            or self.period_start is None
            or self.period_end is None
        ):
            return None
        return BilledLine(
            self.subscription_item_id,
            self.amount,
            self.interval,
            self.interval_count or 1,
            self.period_start,
            self.period_end,
            self.created,
            self.id,
        )


@dataclass(frozen=True)
class Ledger:
    charges: tuple[ChargeRecord, ...] = ()
    refunds: tuple[RefundRecord, ...] = ()
    disputes: tuple[DisputeRecord, ...] = ()
    payouts: tuple[PayoutRecord, ...] = ()
    states: tuple[StateRecord, ...] = ()
    invoice_lines: tuple[InvoiceLineRecord, ...] = ()
    # `created` of every other event and object of the account (for `data_through`).
    other_times: tuple[datetime, ...] = field(default_factory=tuple)
    # When Vaultra heard from Stripe: each webhook received and each import completed.
    syncs: tuple[datetime, ...] = field(default_factory=tuple)
