"""Cursor pagination: a page of items and an opaque cursor to the next one, never an offset (a
page stays right while rows are added) and never more than `MAX_LIMIT` items."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from vaultra.api.problems import ApiError

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

T = TypeVar("T")
R = TypeVar("R")

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="`next_cursor` of the previous page; none for the first."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(item_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def split_page(
    found: Sequence[R], limit: int, key: Callable[[R], tuple[datetime, uuid.UUID]]
) -> tuple[list[R], str | None]:
    """The page and the cursor to the next one, from up to `limit + 1` rows read in the page's
    order: the extra row only says that there is more. `key` gives a row's place in that order."""
    page = list(found[:limit])
    return page, encode_cursor(*key(page[-1])) if len(found) > limit else None


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created_at), uuid.UUID(item_id)
    except (ValueError, TypeError):
        raise ApiError(400, "the cursor is not one this API gave", kind="invalid-cursor") from None
