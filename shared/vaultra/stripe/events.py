"""Parsing a Stripe Event body into what routing and normalization need. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

MAX_STORED_BODY = 1 << 20


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


class StoredBody(NamedTuple):
    text: str
    escaped: bool
    truncated: bool


def storable_body(body: bytes, limit: int = MAX_STORED_BODY) -> StoredBody:
    """The body as PostgreSQL's `text` holds it: invalid UTF-8 and NUL escaped, long ones cut."""
    truncated = len(body) > limit
    raw = body[:limit]
    text = raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    return StoredBody(text, text.encode("utf-8") != raw, truncated)


def parse_event(body: bytes | str) -> ParsedEvent:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"body is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise MalformedEvent("body is not a JSON object")
    if event.get("object") != "event":
        raise MalformedEvent(f"`object` is {event.get('object')!r}, expected 'event'")
    for name, kind in (("id", str), ("type", str), ("created", int), ("livemode", bool)):
        value = event.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise MalformedEvent(f"`{name}` is missing or not a {kind.__name__}")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("`data.object` is missing or not an object")
    account = event.get("account")
    if account is not None and not isinstance(account, str):
        raise MalformedEvent("`account` is not a string")
    return ParsedEvent(
        id=event["id"],
        type=event["type"],
        account=account,
        livemode=event["livemode"],
        created=event["created"],
        api_version=event.get("api_version"),
        object=data["object"],
    )
