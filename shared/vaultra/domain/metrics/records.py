"""Ledger records as the reference implementation reads them: plain values, no I/O.

Each record keeps the ledger columns a metric needs, plus the settled amount of its balance
transaction (`settled_amount`, `settled_currency`) where Stripe converted it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vaultra.domain.mrr import Discount, Item

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
class Ledger:
    charges: tuple[ChargeRecord, ...] = ()
    refunds: tuple[RefundRecord, ...] = ()
    disputes: tuple[DisputeRecord, ...] = ()
    payouts: tuple[PayoutRecord, ...] = ()
    states: tuple[StateRecord, ...] = ()
    # `created` of every other event and object of the account (for `data_through`).
    other_times: tuple[datetime, ...] = field(default_factory=tuple)
    # When Vaultra heard from Stripe: each webhook received and each import completed.
    syncs: tuple[datetime, ...] = field(default_factory=tuple)
