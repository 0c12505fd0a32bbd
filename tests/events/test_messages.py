from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from vaultra.events import topics
from vaultra.events.messages import (
    MESSAGE_TYPES,
    BackfillRequested,
    DailyRefresh,
    DemoDataRequested,
    InvalidMessage,
    Message,
    MetricsComputed,
    MetricsRefreshRequested,
    ReconcileTick,
    SettlementsRequested,
    StripeDataChanged,
    decode,
    encode,
    message_attributes,
)

BUSINESS = UUID("2f1c7f9e-3a4b-4c5d-8e6f-7a8b9c0d1e2f")
AT = datetime(2025, 1, 31, 12, 30, tzinfo=UTC)

EXAMPLES: list[Message] = [
    StripeDataChanged(
        business_id=BUSINESS, account_id="acct_123", livemode=False, reason="webhook", changed_at=AT
    ),
    BackfillRequested(business_id=BUSINESS, account_id="acct_123", requested_at=AT),
    MetricsComputed(business_id=BUSINESS, as_of=date(2025, 1, 31), computed_at=AT),
    DailyRefresh(as_of=date(2025, 1, 31)),
    DailyRefresh(),
    MetricsRefreshRequested(
        business_id=BUSINESS, as_of=date(2025, 1, 31), requested_at=AT, data_version="7421"
    ),
    StripeDataChanged(
        business_id=BUSINESS,
        account_id="acct_123",
        livemode=False,
        reason="backfill",
        changed_at=AT,
        data_version="18446744073709551615",
    ),
    DemoDataRequested(
        business_id=BUSINESS,
        account_id="acct_demo_2f1c7f9e3a4b4c5d8e6f7a8b9c0d1e2f",
        scenario="steady_saas",
        history_until=AT,
        requested_at=AT,
    ),
    SettlementsRequested(business_id=BUSINESS, account_id="acct_123", requested_at=AT),
    StripeDataChanged(
        business_id=BUSINESS,
        account_id="acct_123",
        livemode=False,
        reason="settlement",
        changed_at=AT,
        data_version="7422",
    ),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_json_bytes(message: Message) -> None:
    data = encode(message)

    decoded = decode(type(message), data)

    assert isinstance(data, bytes)
    assert decoded == message
    json.loads(data)  # plain JSON on the wire


def test_each_message_names_its_topic_from_the_topics_module() -> None:
    assert StripeDataChanged.TOPIC == topics.STRIPE_DATA_CHANGED
    assert BackfillRequested.TOPIC == topics.BACKFILL_REQUESTED
    assert MetricsComputed.TOPIC == topics.METRICS_COMPUTED
    assert DailyRefresh.TOPIC == topics.DAILY_REFRESH
    assert MetricsRefreshRequested.TOPIC == topics.METRICS_REFRESH_REQUESTED
    assert ReconcileTick.TOPIC == topics.RECONCILE_TICK
    assert DemoDataRequested.TOPIC == topics.DEMO_DATA_REQUESTED
    assert SettlementsRequested.TOPIC == topics.SETTLEMENTS_REQUESTED
    assert set(MESSAGE_TYPES) == {
        "ReconcileTick",
        "StripeDataChanged",
        "BackfillRequested",
        "MetricsComputed",
        "DailyRefresh",
        "MetricsRefreshRequested",
        "DemoDataRequested",
        "SettlementsRequested",
    }


def test_demo_data_names_a_scenario_the_generator_knows() -> None:
    with pytest.raises(InvalidMessage, match="scenario"):
        decode(
            DemoDataRequested,
            b'{"business_id": "2f1c7f9e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "account_id": "acct_demo_x", '
            b'"scenario": "unicorn", "history_until": "2025-01-31T00:00:00Z", '
            b'"requested_at": "2025-01-31T00:00:00Z"}',
        )


def test_a_data_version_must_be_a_transaction_id() -> None:
    with pytest.raises(InvalidMessage, match="data_version"):
        decode(
            MetricsRefreshRequested,
            b'{"business_id": "2f1c7f9e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "as_of": "2025-01-31", '
            b'"requested_at": "2025-01-31T00:00:00Z", "data_version": "1; DROP TABLE x"}',
        )


def test_messages_are_immutable() -> None:
    message = EXAMPLES[0]

    with pytest.raises(ValueError, match="frozen"):
        message.account_id = "acct_other"  # type: ignore[misc]


def test_an_extra_field_is_rejected_with_an_error_that_names_model_topic_and_field() -> None:
    payload = json.loads(EXAMPLES[0].encode())
    payload["api_key"] = "sk_live_must_not_leak"

    with pytest.raises(InvalidMessage) as excinfo:
        decode(StripeDataChanged, json.dumps(payload).encode())

    text = str(excinfo.value)
    assert "StripeDataChanged" in text
    assert topics.STRIPE_DATA_CHANGED in text
    assert "api_key: Extra inputs are not permitted" in text
    assert "sk_live_must_not_leak" not in text
    assert excinfo.value.__cause__ is None  # pydantic errors echo inputs: not chained


def test_a_missing_field_is_rejected_with_a_clear_error() -> None:
    payload = json.loads(EXAMPLES[1].encode())
    del payload["account_id"]

    with pytest.raises(InvalidMessage) as excinfo:
        decode(BackfillRequested, json.dumps(payload).encode())

    assert excinfo.value.errors == [("account_id", "Field required")]
    assert "1 error: account_id: Field required" in str(excinfo.value)


def test_invalid_json_is_an_invalid_message() -> None:
    with pytest.raises(InvalidMessage, match=r"MetricsComputed.*Invalid JSON"):
        decode(MetricsComputed, b"{not json")


def test_a_timestamp_without_time_zone_is_rejected() -> None:
    payload = json.loads(EXAMPLES[2].encode())
    payload["computed_at"] = "2025-01-31T12:30:00"

    with pytest.raises(InvalidMessage, match="computed_at"):
        decode(MetricsComputed, json.dumps(payload).encode())


def test_a_reason_outside_the_known_set_is_rejected() -> None:
    payload = json.loads(EXAMPLES[0].encode())
    payload["reason"] = "guess"

    with pytest.raises(InvalidMessage, match="reason"):
        decode(StripeDataChanged, json.dumps(payload).encode())


def test_attributes_carry_the_type_and_the_business_when_there_is_one() -> None:
    assert message_attributes(EXAMPLES[0]) == {
        "type": "StripeDataChanged",
        "business_id": str(BUSINESS),
    }
    assert message_attributes(DailyRefresh()) == {"type": "DailyRefresh"}
