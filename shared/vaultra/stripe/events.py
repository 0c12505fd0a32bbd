"""Parsing a Stripe Event body into what routing and normalization need. Pure.

`parse_event` raises only MalformedEvent, whatever the body: a correctly signed body that is not
a usable event must still be recorded (as failed, with the reason) and answered 2xx, or Stripe
redelivers it for days. Every envelope field it returns is one PostgreSQL's `stripe_events` row
can hold: the types, lengths and ranges are those of its columns.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from vaultra.db.row_checks import column_problem, describe
from vaultra.stripe.json_text import InvalidJson, load_json

# Stripe objects nest about ten levels (an event, its object, a list, an item, its price, …).
MAX_DEPTH = 64

_EVENTS_TABLE = "stripe_events"


class MalformedEvent(ValueError):
    """A signed body that is not a usable Stripe event; the message names what is wrong."""


@dataclass(frozen=True)
class ParsedEvent:
    id: str
    type: str
    account: str | None
    livemode: bool
    created: int
    api_version: str | None
    object: dict[str, Any]


def malformed_event_id(body: bytes) -> str:
    """A stable id for a body that has none, so a redelivery of it is still a duplicate."""
    return "malformed_" + hashlib.sha256(body).hexdigest()[:40]


def _text_of(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        # Stripe sends UTF-8; `json.loads` on bytes would also guess UTF-16 or UTF-32, which the
        # raw body column (UTF-8 text) could not then hold.
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedEvent(
            f"body is not UTF-8: byte {exc.start} ({body[exc.start]:#04x}) cannot be decoded"
        ) from None


def _envelope_field(
    event: dict[str, Any], name: str, column: str, expected: type, *, required: bool
) -> Any:
    """One envelope field, of the expected JSON type and storable in its `stripe_events` column."""
    value = event.get(name)
    if value is None:
        if required:
            raise MalformedEvent(f"`{name}` is missing, expected {_WORDS[expected]}")
        return None
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise MalformedEvent(f"`{name}` is {describe(value)}, expected {_WORDS[expected]}")
    if expected is str and not value:
        raise MalformedEvent(f"`{name}` is empty, expected {_WORDS[expected]}")
    problem = column_problem(_EVENTS_TABLE, column, value)
    if problem:
        raise MalformedEvent(f"`{name}` {problem}")
    return value


_WORDS = {
    str: "a non-empty string",
    int: "a unix time in seconds (an integer)",
    bool: "a boolean",
}


def parse_event(body: bytes | str) -> ParsedEvent:
    try:
        event = load_json(_text_of(body), max_depth=MAX_DEPTH)
    except InvalidJson as exc:
        raise MalformedEvent(f"body {exc}") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"body is {describe(event)}, expected a JSON object")
    if event.get("object") != "event":
        raise MalformedEvent(f"`object` is {describe(event.get('object'))}, expected 'event'")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("`data.object` is missing or not an object")
    return ParsedEvent(
        id=_envelope_field(event, "id", "id", str, required=True),
        type=_envelope_field(event, "type", "type", str, required=True),
        account=_envelope_field(event, "account", "account_id", str, required=False),
        livemode=_envelope_field(event, "livemode", "livemode", bool, required=True),
        created=_envelope_field(event, "created", "created", int, required=True),
        api_version=_envelope_field(event, "api_version", "api_version", str, required=False),
        object=data["object"],
    )
