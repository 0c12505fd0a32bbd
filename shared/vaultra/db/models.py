"""SQLAlchemy 2 typed models: the schema of record. Alembic migrations must match these exactly
(a test runs autogenerate against a migrated database and expects no difference).

Conventions:
- money is `BigInteger` minor units with a 3-letter lowercase `currency` beside it;
- every timestamp is `timestamptz` and UTC;
- every ledger row carries `business_id` (the tenant) and is keyed by `(business_id, id)`;
- every ledger row carries its *version*: `version_at` (when the state it holds was true at Stripe —
  an event's `created`, or the moment a backfill read the object) and `version_key` (the event id, a
  deterministic tie-break for two states of the same second). An upsert only replaces a row with a
  strictly greater `(version_at, version_key)`, so any delivery order yields the same ledger.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TZ = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: TZ,
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
    }


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def _now() -> Mapped[datetime]:
    return mapped_column(TZ, server_default=func.now())


# --- Accounts and tenancy -----------------------------------------------------------------------


class User(Base):
    """A person who signs in. `email` is stored lower-cased; the password only as its argon2 hash."""

    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    email_verified_at: Mapped[datetime | None] = mapped_column(TZ)
    password_changed_at: Mapped[datetime | None] = mapped_column(TZ)


class Business(Base):
    __tablename__ = "businesses"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The account's default (settlement) currency, learned from Stripe; metrics are in it.
    default_currency: Mapped[str | None] = mapped_column(String(3))
    # When Stripe said so (an event's `created`, the moment the account was read): a report
    # older than it, an event delivered late, changes nothing.
    default_currency_at: Mapped[datetime | None] = mapped_column(TZ)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = _now()


class StripeConnection(Base):
    """A Stripe account linked to a business, in one mode. Live and test data never mix: the same
    account id may be linked once per mode, and events are routed by (account, livemode)."""

    __tablename__ = "stripe_connections"
    __table_args__ = (UniqueConstraint("account_id", "livemode"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[str] = mapped_column(String(255))
    livemode: Mapped[bool] = mapped_column(Boolean)
    # Fernet ciphertext of an access token / restricted key, if the connection has its own.
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_at: Mapped[datetime] = _now()
    deauthorized_at: Mapped[datetime | None] = mapped_column(TZ)


class Membership(Base):
    """Who may reach a business, and how: `owner` (everything) or `viewer` (read only). Every
    object is reached through a business the caller is a member of."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index(None, "user_id"),
        CheckConstraint("role IN ('owner', 'viewer')", name="role"),
    )
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _now()


class Invitation(Base):
    """An invitation to a business by email, accepted once with its token (stored hashed)."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index(None, "business_id"),
        Index(None, "email"),  # deleting an account deletes the invitations to its address
        Index(None, "invited_by"),  # SET NULL when the inviter's account goes
        CheckConstraint("role IN ('owner', 'viewer')", name="role"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    accepted_at: Mapped[datetime | None] = mapped_column(TZ)
    revoked_at: Mapped[datetime | None] = mapped_column(TZ)


class RefreshToken(Base):
    """A refresh token, stored hashed. Each use rotates it within its family; a used token
    presented again is a theft signal and revokes the whole family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index(None, "user_id"), Index(None, "family_id"))
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    used_at: Mapped[datetime | None] = mapped_column(TZ)
    revoked_at: Mapped[datetime | None] = mapped_column(TZ)


class PersonalAccessToken(Base):
    """A read-only token for scripts and MCP clients: shown once, stored hashed, expiring,
    revocable, its last use recorded. `prefix` identifies it in lists without revealing it."""

    __tablename__ = "personal_access_tokens"
    __table_args__ = (Index(None, "user_id"), CheckConstraint("scope IN ('read')", name="scope"))
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    revoked_at: Mapped[datetime | None] = mapped_column(TZ)
    last_used_at: Mapped[datetime | None] = mapped_column(TZ)


class UserToken(Base):
    """A single-use, expiring token mailed to a user: `password_reset` or `email_verification`."""

    __tablename__ = "user_tokens"
    __table_args__ = (
        Index(None, "user_id", "purpose"),
        CheckConstraint("purpose IN ('password_reset', 'email_verification')", name="purpose"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    used_at: Mapped[datetime | None] = mapped_column(TZ)


class OutboxMail(Base):
    """Mail to send (locally: the outbox and the log are the delivery)."""

    __tablename__ = "mail_outbox"
    # deleting an account deletes the mail to its address
    __table_args__ = (Index(None, "to_address"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    sent_at: Mapped[datetime | None] = mapped_column(TZ)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """A sensitive action: sign-in, a token created, a connection changed, an export, a share,
    a deletion. Never a secret, never a payload."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "business_id", "at"), Index(None, "user_id", "at"))
    id: Mapped[uuid.UUID] = _uuid_pk()
    at: Mapped[datetime] = _now()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class RateLimit(Base):
    """Failed attempts under a key (an address, an account) in the current window, and until
    when the key is held back."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    window_started_at: Mapped[datetime] = _now()
    blocked_until: Mapped[datetime | None] = mapped_column(TZ)


class OAuthState(Base):
    """The `state` of a Stripe Connect authorization: bound to the user and business, expiring,
    used once. Stored hashed."""

    __tablename__ = "oauth_states"
    __table_args__ = (Index(None, "user_id"), Index(None, "business_id"))  # for their cascades
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    livemode: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    used_at: Mapped[datetime | None] = mapped_column(TZ)


# --- Raw events ---------------------------------------------------------------------------------


class StripeEvent(Base):
    """Every Stripe event exactly as received, before any interpretation.

    status: received → applied | pending_link (no business linked to its account yet)
            | ignored (a type Vaultra does not use, or a mode mismatch) | failed (malformed).
    """

    __tablename__ = "stripe_events"
    __table_args__ = (
        Index(None, "account_id", "livemode", "status"),
        Index(None, "business_id", "created"),
        Index(None, "received_at"),  # the retention job deletes by age
        Index(None, "business_id", "received_at"),  # a business's last sync (metrics)
    )
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(255))
    livemode: Mapped[bool | None] = mapped_column(Boolean)
    type: Mapped[str | None] = mapped_column(String(255))
    api_version: Mapped[str | None] = mapped_column(String(32))
    created: Mapped[datetime | None] = mapped_column(TZ)
    source: Mapped[str] = mapped_column(String(16))  # webhook | backfill
    body: Mapped[str] = mapped_column(Text)  # the raw request body, byte for byte (UTF-8)
    # A signed body PostgreSQL cannot hold as it came (invalid UTF-8, NUL bytes) is kept with
    # those bytes escaped; one beyond the size limit is kept truncated. Both are flagged.
    body_escaped: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    body_truncated: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    error: Mapped[str | None] = mapped_column(Text)
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = _now()
    processed_at: Mapped[datetime | None] = mapped_column(TZ)
    # Set once "stripe data changed" was published for it: a redelivery of an event whose
    # publish failed publishes again (a small outbox), otherwise a duplicate is a no-op.
    published_at: Mapped[datetime | None] = mapped_column(TZ)


# --- Normalized ledger --------------------------------------------------------------------------


class LedgerRow:
    """Columns every ledger table has: tenant, Stripe id, mode, creation time and version."""

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    created: Mapped[datetime] = mapped_column(TZ)
    version_at: Mapped[datetime] = mapped_column(TZ)
    version_key: Mapped[str] = mapped_column(String(255))


class Customer(LedgerRow, Base):
    __tablename__ = "customers"
    __table_args__ = (Index(None, "business_id", "created"),)  # the data's age (metrics)
    currency: Mapped[str | None] = mapped_column(String(3))
    delinquent: Mapped[bool | None] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Charge(LedgerRow, Base):
    __tablename__ = "charges"
    __table_args__ = (
        Index(None, "business_id", "created"),
        Index(None, "business_id", "customer_id"),
    )
    customer_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_captured: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # succeeded | pending | failed
    paid: Mapped[bool] = mapped_column(Boolean)
    captured: Mapped[bool] = mapped_column(Boolean)
    refunded: Mapped[bool] = mapped_column(Boolean)
    disputed: Mapped[bool] = mapped_column(Boolean)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    balance_transaction_id: Mapped[str | None] = mapped_column(String(255))
    invoice_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))


class Refund(LedgerRow, Base):
    __tablename__ = "refunds"
    __table_args__ = (Index(None, "business_id", "created"),)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    balance_transaction_id: Mapped[str | None] = mapped_column(String(255))


class Dispute(LedgerRow, Base):
    __tablename__ = "disputes"
    __table_args__ = (Index(None, "business_id", "created"),)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    # When the dispute reached won/lost: the earliest moment any source reported it closed.
    closed_at: Mapped[datetime | None] = mapped_column(TZ)


class Payout(LedgerRow, Base):
    __tablename__ = "payouts"
    __table_args__ = (Index(None, "business_id", "arrival_date"),)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(
        String(16)
    )  # paid | pending | in_transit | canceled | failed
    arrival_date: Mapped[datetime] = mapped_column(TZ)
    automatic: Mapped[bool | None] = mapped_column(Boolean)
    method: Mapped[str | None] = mapped_column(String(16))
    failure_code: Mapped[str | None] = mapped_column(String(64))


class BalanceTransaction(LedgerRow, Base):
    __tablename__ = "balance_transactions"
    __table_args__ = (
        Index(None, "business_id", "created"),
        Index(None, "business_id", "source_id"),
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(64))
    reporting_category: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(255))
    available_on: Mapped[datetime | None] = mapped_column(TZ)
    exchange_rate: Mapped[float | None] = mapped_column(Numeric(24, 12, asdecimal=False))


class Invoice(LedgerRow, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index(None, "business_id", "subscription_id"),
        Index(None, "business_id", "created"),  # the data's age (metrics)
    )
    customer_id: Mapped[str | None] = mapped_column(String(255))
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    billing_reason: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_due: Mapped[int] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger)
    subtotal: Mapped[int | None] = mapped_column(BigInteger)
    total: Mapped[int | None] = mapped_column(BigInteger)
    tax: Mapped[int | None] = mapped_column(BigInteger)
    period_start: Mapped[datetime | None] = mapped_column(TZ)
    period_end: Mapped[datetime | None] = mapped_column(TZ)
    paid_at: Mapped[datetime | None] = mapped_column(TZ)


class InvoiceLine(LedgerRow, Base):
    """An invoice's lines. `version_*` is the invoice's: a newer invoice replaces its lines."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        Index(None, "business_id", "invoice_id"),
        # The lines that may bill a usage-priced item, by subscription: what re-pricing a few
        # subscriptions reads (ledger_writer.USAGE_LINE, the same predicate).
        Index(
            "ix_invoice_lines_business_id_subscription_id_usage",
            "business_id",
            "subscription_id",
            postgresql_where=text(
                "subscription_item_id IS NOT NULL AND NOT proration "
                "AND (unit_amount IS NULL OR usage_type = 'metered')"
            ),
        ),
    )
    invoice_id: Mapped[str] = mapped_column(String(255))
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    subscription_item_id: Mapped[str | None] = mapped_column(String(255))
    price_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    unit_amount: Mapped[int | None] = mapped_column(BigInteger)
    interval: Mapped[str | None] = mapped_column(String(8))
    interval_count: Mapped[int | None] = mapped_column(Integer)
    usage_type: Mapped[str | None] = mapped_column(String(16))
    proration: Mapped[bool] = mapped_column(Boolean)
    period_start: Mapped[datetime | None] = mapped_column(TZ)
    period_end: Mapped[datetime | None] = mapped_column(TZ)


class Subscription(LedgerRow, Base):
    """The latest known state of a subscription; its history is in `subscription_states`."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(None, "business_id", "customer_id"),
        Index(None, "business_id", "created"),  # the data's age (metrics)
    )
    customer_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[datetime | None] = mapped_column(TZ)
    trial_start: Mapped[datetime | None] = mapped_column(TZ)
    trial_end: Mapped[datetime | None] = mapped_column(TZ)
    current_period_start: Mapped[datetime | None] = mapped_column(TZ)
    current_period_end: Mapped[datetime | None] = mapped_column(TZ)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean)
    canceled_at: Mapped[datetime | None] = mapped_column(TZ)
    ended_at: Mapped[datetime | None] = mapped_column(TZ)
    # The subscription-level discount: {"coupon_id", "percent_off", "amount_off", "currency",
    # "duration", "duration_in_months", "start", "end"} or null.
    discount: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class SubscriptionItem(LedgerRow, Base):
    """A subscription's current items. `version_*` is the subscription's: items older than their
    subscription's version (removed from it) are deleted when a newer snapshot arrives."""

    __tablename__ = "subscription_items"
    __table_args__ = (Index(None, "business_id", "subscription_id"),)
    subscription_id: Mapped[str] = mapped_column(String(255))
    price_id: Mapped[str | None] = mapped_column(String(255))
    product_id: Mapped[str | None] = mapped_column(String(255))
    unit_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    interval: Mapped[str | None] = mapped_column(String(8))
    interval_count: Mapped[int | None] = mapped_column(Integer)
    usage_type: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int | None] = mapped_column(BigInteger)


class SubscriptionState(Base):
    """One state of a subscription and the moment it began: the history MRR is computed from.

    Rows come from three sources (`source`): `event` (a customer.subscription.* event: the full
    subscription at the event's `created`), `snapshot` (a backfill read of the subscription as it is
    now) and `reconstructed` (history older than Stripe's 30 days of events, rebuilt from the
    subscription and its invoices — see docs/DATA_MODEL.md). Insert-only: the set of rows does not
    depend on the order in which they arrived.
    """

    __tablename__ = "subscription_states"
    __table_args__ = (Index(None, "business_id", "customer_id"),)
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(TZ, primary_key=True)
    version_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    livemode: Mapped[bool] = mapped_column(Boolean)
    customer_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    # [{"item_id", "price_id", "unit_amount", "currency", "interval", "interval_count",
    #   "usage_type", "quantity"}]
    items: Mapped[list[Any]] = mapped_column(JSONB)
    discount: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean)
    ended_at: Mapped[datetime | None] = mapped_column(TZ)


class SubscriptionMrrChange(Base):
    """How a subscription's MRR changed at each of its states: what the metrics read for MRR.

    Derived from `subscription_states` alone (the reading rules, then each chosen state priced
    by domain/mrr.py's rule), so it depends on nothing but that subscription's states: whenever
    states of a subscription are inserted, the writer replaces the subscription's rows in the same
    transaction (`vaultra.db.ledger_writer.refresh_mrr_changes`). Only changes are kept: a state
    priced as the one before it has no row. `slot` 0 is the change in the state's own currency,
    1 the removal of the previous state's MRR when the currency changed. Summed over `at < end`
    they give each subscription's MRR at any instant, by currency (NULL: the account's).
    """

    __tablename__ = "subscription_mrr_changes"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    mrr_delta: Mapped[int] = mapped_column(BigInteger)
    # +1 when the subscription starts to count as unpriced (contributing, with an item without a
    # unit price that is not metered), -1 when it stops.
    unpriced_delta: Mapped[int] = mapped_column(Integer)


class LedgerVersion(Base):
    """The last transaction that changed a business's ledger (`xid8` as text).

    Written by every ledger write that changed a row, in its own transaction, so it names the
    latest committed change: a metrics run whose read snapshot does not see it is stale. The
    upsert takes the row's lock until commit, so the stored id is always the last committer's.

    Late data: a change to a day before the current one also keeps `past_changed_from`, the
    earliest moment changed since the stored runs were last caught up, and `past_changed_xid`, the
    last such change (stored the same way). A run of a day at or after `past_changed_from` whose
    read snapshot does not see `past_changed_xid` is stale (`vaultra.services.metrics`, "Late
    data"); both are cleared once every such run was recomputed.
    """

    __tablename__ = "ledger_versions"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    changed_xid: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = _now()
    past_changed_from: Mapped[datetime | None] = mapped_column(TZ)
    past_changed_xid: Mapped[str | None] = mapped_column(String(20))


# --- Jobs ---------------------------------------------------------------------------------------


class BackfillCheckpoint(Base):
    """Progress of a backfill: one row per (business, resource, created-window)."""

    __tablename__ = "backfill_checkpoints"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(TZ, primary_key=True)
    window_end: Mapped[datetime] = mapped_column(TZ)
    # The id of the last object imported in this window (`starting_after` to resume from).
    cursor: Mapped[str | None] = mapped_column(String(255))
    objects: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    completed_at: Mapped[datetime | None] = mapped_column(TZ)
    updated_at: Mapped[datetime] = _now()


class SettlementFetch(Base):
    """A charge, refund or dispute in another currency whose balance transaction a fetch did not
    bring (Stripe answered 404, the dispute had none yet, or the credentials were refused): the
    next attempt waits, longer each time, and stops after a few. Deleted once it is settled."""

    __tablename__ = "settlement_fetches"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    object_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    object: Mapped[str] = mapped_column(String(16))  # charge | refund | dispute
    attempts: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(TZ)
    error: Mapped[str] = mapped_column(Text)


class JobRun(Base):
    """A run of a background job. `idempotency_key` (e.g. the Pub/Sub message id) makes a
    redelivered message a no-op once its run has succeeded."""

    __tablename__ = "job_runs"
    __table_args__ = (Index(None, "business_id", "kind", "started_at"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    started_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(TZ)
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class DeadLetter(Base):
    """A message Pub/Sub gave up delivering (it reached a dead-letter topic), kept for operators.

    Messages carry identifiers only, so `data` is safe to keep. Lost recomputes need no action
    here: the reconciliation tick finds every business whose metrics or score are behind.
    """

    __tablename__ = "dead_letters"
    __table_args__ = (Index(None, "business_id", "received_at"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    message_type: Mapped[str | None] = mapped_column(String(64))
    source_subscription: Mapped[str | None] = mapped_column(String(255))
    delivery_attempts: Mapped[int | None] = mapped_column(Integer)
    business_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = _now()


# --- Metrics ------------------------------------------------------------------------------------


class MetricRun(Base):
    """The latest computation of a business's metrics as of a day, under one policy version.

    `read_snapshot` is the PostgreSQL snapshot (`pg_snapshot` as text) the computation read: a "data
    changed" message whose transaction is visible in it brings nothing new, so it is a no-op.
    """

    __tablename__ = "metric_runs"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    policy_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    read_snapshot: Mapped[str] = mapped_column(Text)
    notes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # Set when "metrics computed" was published for this run (an outbox of one): a redelivered
    # message that finds it null publishes again instead of losing the notification.
    published_at: Mapped[datetime | None] = mapped_column(TZ)
    computed_at: Mapped[datetime] = _now()


class MetricSnapshot(Base):
    """One metric's value for a business as of a day (null value: see the run's notes)."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (Index(None, "business_id", "metric", "as_of"),)
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    policy_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    computed_at: Mapped[datetime] = _now()


# --- Readiness ----------------------------------------------------------------------------------


class ReadinessScore(Base):
    """A business's readiness as of a day under one score model version: the score with its
    components, the lender fit and the ranked recommendations of that moment. A new model version
    adds rows; it never rewrites another version's."""

    __tablename__ = "readiness_scores"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[str] = mapped_column(String(8))
    components: Mapped[list[Any]] = mapped_column(JSONB)
    top_factors: Mapped[list[Any]] = mapped_column(JSONB)
    missing: Mapped[list[Any]] = mapped_column(JSONB)
    lender_fit: Mapped[list[Any]] = mapped_column(JSONB)
    recommendations: Mapped[list[Any]] = mapped_column(JSONB)
    # What the score was computed from: the metric run (its policy and time) and the inputs.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    lender_criteria_version: Mapped[str] = mapped_column(String(32))
    metrics_policy_version: Mapped[str] = mapped_column(String(32))
    metrics_computed_at: Mapped[datetime] = mapped_column(TZ)
    currency: Mapped[str | None] = mapped_column(String(3))
    computed_at: Mapped[datetime] = _now()


class RecommendationState(Base):
    """A recommendation of a business, one row per key: the founder's status (open, done,
    dismissed) survives every recompute; the other columns follow the latest assessment.
    `active` is false while the data no longer triggers it."""

    __tablename__ = "recommendations"
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    active: Mapped[bool] = mapped_column(Boolean)
    rank: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    expected_gain: Mapped[int] = mapped_column(Integer)
    effort: Mapped[str] = mapped_column(String(8))
    takes_effect: Mapped[str] = mapped_column(Text)
    article: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB)
    as_of: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    status_changed_at: Mapped[datetime | None] = mapped_column(TZ)


class Notification(Base):
    """An alert for a business, raised once: `dedupe_key` names the event it is about (a day's
    score drop, one failed payout, one stale-data episode), so a recompute finds it raised."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("business_id", "dedupe_key"),)
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()
    read_at: Mapped[datetime | None] = mapped_column(TZ)


# --- Reports and sharing ------------------------------------------------------------------------


class Report(Base):
    """A lender report generated from stored data: a PDF and a CSV, kept through the storage
    port under their keys."""

    __tablename__ = "reports"
    __table_args__ = (Index(None, "business_id", "created_at"), Index(None, "created_by"))
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    as_of: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(32))
    pdf_key: Mapped[str] = mapped_column(Text)
    csv_key: Mapped[str] = mapped_column(Text)
    # What the report says, frozen when it was made (score, components, lender fit, period, data
    # through, versions): its metadata and a share link's summary page agree with its PDF even
    # after the day is scored again.
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _now()


class ShareLink(Base):
    """A read-only, expiring, revocable link a founder gives a lender: the report and a summary."""

    __tablename__ = "share_links"
    __table_args__ = (
        Index(None, "business_id"),
        Index(None, "report_id"),
        Index(None, "created_by"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(TZ)
    revoked_at: Mapped[datetime | None] = mapped_column(TZ)


class ShareView(Base):
    """One view of a shared link."""

    __tablename__ = "share_views"
    __table_args__ = (
        Index(None, "share_link_id", "viewed_at"),
        CheckConstraint("what IN ('summary', 'pdf', 'csv')", name="what"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    share_link_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("share_links.id", ondelete="CASCADE")
    )
    viewed_at: Mapped[datetime] = _now()
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    what: Mapped[str] = mapped_column(String(16))  # summary | pdf | csv


# --- The knowledge base (shared by every tenant: no business's data) ----------------------------

# Title, section heading and text, weighted in that order for ranking. English stemming: the
# articles are written in English, and a question's words are stemmed the same way.
KNOWLEDGE_SEARCH = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(heading, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, body), 'C')"
)


class KnowledgeChunk(Base):
    """A passage of a knowledge-base article, as retrieval finds and cites it."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        Index(None, "search", postgresql_using="gin"),
        Index(None, "topics", postgresql_using="gin"),
        CheckConstraint("number >= 0", name="number"),
    )
    article_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    heading: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(ARRAY(Text))
    sources: Mapped[list[str]] = mapped_column(ARRAY(Text))
    digest: Mapped[str] = mapped_column(String(64))  # of what is indexed: changed or not
    search: Mapped[Any] = mapped_column(TSVECTOR, Computed(KNOWLEDGE_SEARCH, persisted=True))
    indexed_at: Mapped[datetime] = _now()


class KnowledgeVector(Base):
    """A passage's embedding under one model, keyed by the passage's digest: a passage that did
    not change keeps its vector across re-indexing, so only new or edited text is embedded. The
    dimension is the model's (384 for all-MiniLM-L6-v2, 1536 for text-embedding-3-small): the
    column has none, and a search compares vectors of one model only."""

    __tablename__ = "knowledge_vectors"
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    embedding: Mapped[Any] = mapped_column(Vector(), nullable=False)
    embedded_at: Mapped[datetime] = _now()


# --- The agent's conversations and what its model calls cost -----------------------------------


class Conversation(Base):
    """A founder's chat with the agent about one business: theirs alone (not the business's other
    members'), gone with the business or the user."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index(None, "user_id", "business_id", "updated_at"),
        Index(None, "business_id"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class ChatMessage(Base):
    """One message of a conversation: the founder's question or the agent's answer, with the tool
    calls it made, what it cites and the numbers the grounding check could not find."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        Index(None, "conversation_id", "created_at"),
        CheckConstraint("role IN ('user', 'assistant')", name="role"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    tool_calls: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    citations: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    unverified: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = _now()


class LlmCall(Base):
    """One request to a language model: who it was for, the tokens it used and what they cost.
    The daily budget sums these; kept when a conversation is deleted (it was spent)."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        Index(None, "user_id", "created_at"),
        CheckConstraint("prompt_tokens >= 0 AND completion_tokens >= 0", name="tokens"),
    )
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_micro_usd: Mapped[int] = mapped_column(BigInteger)  # millionths of a US dollar
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | failed
    created_at: Mapped[datetime] = _now()


LEDGER_TABLES: dict[str, type[LedgerRow]] = {
    m.__tablename__: m
    for m in (
        Customer,
        Charge,
        Refund,
        Dispute,
        Payout,
        BalanceTransaction,
        Invoice,
        InvoiceLine,
        Subscription,
        SubscriptionItem,
    )
}
