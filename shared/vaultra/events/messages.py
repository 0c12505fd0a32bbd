"""Message schemas for the event bus: small, strict, JSON on the wire.

Every message is a frozen pydantic model that forbids unknown fields, so a producer and a consumer
that disagree about the schema fail loudly instead of silently dropping data. `TOPIC` is its topic's
name, from `vaultra.events.topics`.

Messages carry identifiers only, never Stripe payloads or secrets: consumers re-read what they need.
Timestamps must be timezone-aware.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from vaultra.events import topics
from vaultra.sample_data.archetypes import Archetype


class InvalidMessage(ValueError):
    """A payload that does not decode to the expected message model.

    The text names the model, the topic and each failing field with pydantic's reason; it never
    echoes input values, so it is safe to log. `errors` holds the same details as
    `(location, reason)` pairs.
    """

    def __init__(self, model_cls: type[Message], detail: str, errors: list[tuple[str, str]]):
        self.model_name = model_cls.__name__
        self.topic = model_cls.TOPIC
        self.errors = errors
        super().__init__(f"invalid {self.model_name} message (topic {self.topic}): {detail}")


class Message(BaseModel):
    """Base class of every bus message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TOPIC: ClassVar[str]

    def encode(self) -> bytes:
        """JSON bytes, the Pub/Sub message body."""
        return self.model_dump_json().encode("utf-8")


class StripeDataChanged(Message):
    """Stripe data of a business changed; downstream recomputes what depends on it."""

    TOPIC: ClassVar[str] = topics.STRIPE_DATA_CHANGED

    business_id: UUID
    account_id: str = Field(min_length=1)
    livemode: bool
    # "settlement": balance transactions fetched for foreign-currency charges, refunds, disputes.
    reason: Literal["webhook", "backfill", "link", "settlement"]
    changed_at: AwareDatetime
    # The PostgreSQL transaction id (xid8, as text) of a transaction that committed after the
    # change: a computation whose read snapshot sees it has seen the change (see
    # `vaultra.db.data_version`). None: the consumer cannot tell, so it recomputes.
    data_version: str | None = Field(None, pattern=r"^[0-9]{1,20}$")


class BackfillRequested(Message):
    """Import a business's Stripe history (after linking, or to reconcile)."""

    TOPIC: ClassVar[str] = topics.BACKFILL_REQUESTED

    business_id: UUID
    account_id: str = Field(min_length=1)
    requested_at: AwareDatetime


class SettlementsRequested(Message):
    """Fetch the balance transactions (the settled amounts) that a business's charges, refunds and
    disputes in another currency than its own still lack; the reconciliation tick asks for them."""

    TOPIC: ClassVar[str] = topics.SETTLEMENTS_REQUESTED

    business_id: UUID
    account_id: str = Field(min_length=1)
    requested_at: AwareDatetime


class DemoDataRequested(Message):
    """Load a generated history into a business linked to a demo account, through the ingest
    path webhooks take. `history_until` ends the history, so a redelivery generates the same one."""

    TOPIC: ClassVar[str] = topics.DEMO_DATA_REQUESTED

    business_id: UUID
    account_id: str = Field(min_length=1)
    scenario: Archetype
    history_until: AwareDatetime
    requested_at: AwareDatetime


class MetricsComputed(Message):
    """Metrics of a business were recomputed as of a day."""

    TOPIC: ClassVar[str] = topics.METRICS_COMPUTED

    business_id: UUID
    as_of: date
    computed_at: AwareDatetime


class MetricsRefreshRequested(Message):
    """Recompute a business's metrics as of a day (the daily refresh fans out one per business)."""

    TOPIC: ClassVar[str] = topics.METRICS_REFRESH_REQUESTED

    business_id: UUID
    as_of: date
    requested_at: AwareDatetime
    data_version: str | None = Field(None, pattern=r"^[0-9]{1,20}$")


class DailyRefresh(Message):
    """The scheduler's daily tick (Cloud Scheduler publishes it); `as_of` defaults to the day
    that is over when it is handled (`vaultra.domain.metrics.periods.scoring_day`)."""

    TOPIC: ClassVar[str] = topics.DAILY_REFRESH

    as_of: date | None = None


class ReconcileTick(Message):
    """Cloud Scheduler's tick, every few minutes: find whatever is behind and ask for it again."""

    TOPIC: ClassVar[str] = topics.RECONCILE_TICK


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls
    for cls in (
        StripeDataChanged,
        BackfillRequested,
        MetricsComputed,
        DailyRefresh,
        MetricsRefreshRequested,
        ReconcileTick,
        DemoDataRequested,
        SettlementsRequested,
    )
}
"""Message classes by name; the name travels as the Pub/Sub attribute `type`."""

M = TypeVar("M", bound=Message)


def message_attributes(message: Message) -> dict[str, str]:
    """Pub/Sub attributes of a message: `type` (model class name) and `business_id` when present."""
    attributes = {"type": type(message).__name__}
    business_id = getattr(message, "business_id", None)
    if business_id is not None:
        attributes["business_id"] = str(business_id)
    return attributes


def encode(message: Message) -> bytes:
    """JSON bytes of a message (the same as `message.encode()`)."""
    return message.encode()


def decode(model_cls: type[M], data: bytes | str) -> M:
    """Parse JSON into `model_cls`, or raise `InvalidMessage` (safe to log: no input values)."""
    try:
        return model_cls.model_validate_json(data)
    except ValidationError as exc:
        errors = validation_errors(exc)
        count = len(errors)
        detail = f"{count} error{'s' if count != 1 else ''}: " + "; ".join(
            f"{loc}: {reason}" for loc, reason in errors
        )
        raise InvalidMessage(model_cls, detail, errors) from None


def validation_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """`(location, reason)` pairs of a pydantic error, without the offending input values."""
    result: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(part) for part in err["loc"]) or "(message)"
        result.append((loc, err["msg"]))
    return result
