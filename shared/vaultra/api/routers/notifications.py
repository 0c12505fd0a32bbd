"""Notifications: the alerts raised for a business (a score drop, dispute activity crossing a
line, a failed payout, stale data), newest first a page at a time, and marking them read.

Read state belongs to the business, not to each member, so marking is the owner's: a viewer
reading the dashboard must not hide a failed payout from the owner's unread count.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from vaultra.api.problems import ApiError, responses
from vaultra.domain.alerts import Kind as AlertKind
from vaultra.domain.alerts import Severity
from vaultra.services.dashboard import NotificationRow
from vaultra.services.tenancy import Forbidden, NotFound

router = APIRouter(tags=["notifications"])

_EXAMPLE: dict[str, Any] = {
    "id": "9a1f0c53-5a3e-4b8e-9f9e-0d4c2b7a1e20",
    "kind": "payout_failed",
    "severity": "critical",
    "as_of": "2026-11-28",
    "title": "A payout failed",
    "body": "A payout due on 2026-11-27 failed. Lenders read failed payouts as a sign of "
    "bank-account trouble: check the account with Stripe.",
    "data": {"arrival_date": "2026-11-27T00:00:00+00:00"},
    "created_at": "2026-11-28T06:00:04Z",
    "read_at": None,
}


class NotificationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})
    id: uuid.UUID
    kind: AlertKind
    severity: Severity
    as_of: date = Field(description="The scored day that raised it.")
    title: str
    body: str
    data: dict[str, Any] = Field(description="The figures behind it, by name.")
    created_at: datetime
    read_at: datetime | None = Field(description="When it was first marked read; null if unread.")


class NotificationsPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None, "unread": 1}]}
    )
    items: list[NotificationOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    unread: int = Field(description="Unread notifications of the business, on every page.")


class MarkedRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"marked": 3}]})
    marked: int = Field(description="How many were unread and are now read.")


def _out(row: NotificationRow) -> NotificationOut:
    return NotificationOut.model_validate(dataclasses.asdict(row))


@router.get(
    "/businesses/{business_id}/notifications",
    operation_id="listNotifications",
    response_model=NotificationsPage,
    responses=responses(400, 401, 404, 422),
    summary="Notifications, newest first",
)
def list_notifications(
    access: BusinessAccess,
    runtime: RuntimeDep,
    unread_only: Annotated[bool, Query(description="Only the unread ones.")] = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> NotificationsPage:
    """A page of the business's notifications, newest first, with the unread count. Newest
    first (not unread first) keeps pages stable while notifications are read."""
    page = runtime.dashboard.notifications(
        access, unread_only=unread_only, before=decode_cursor(cursor), limit=limit
    )
    last = page.items[-1] if page.items else None
    next_cursor = encode_cursor(last.created_at, last.id) if page.more and last else None
    return NotificationsPage(
        items=[_out(n) for n in page.items], next_cursor=next_cursor, unread=page.unread
    )


NotificationId = Annotated[uuid.UUID, Path(description="The notification's id.")]


@router.post(
    "/businesses/{business_id}/notifications/{notification_id}/read",
    operation_id="markNotificationRead",
    response_model=NotificationOut,
    responses=responses(401, 403, 404, 413, 422),
    summary="Mark a notification read",
)
def mark_notification_read(
    notification_id: NotificationId,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
) -> NotificationOut:
    """Marking it again keeps the first time it was read. Owners only."""
    try:
        return _out(runtime.dashboard.mark_read(access, notification_id))
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such notification") from None


@router.post(
    "/businesses/{business_id}/notifications/read-all",
    operation_id="markAllNotificationsRead",
    response_model=MarkedRead,
    responses=responses(401, 403, 404, 413, 422),
    summary="Mark every notification read",
)
def mark_all_notifications_read(
    access: BusinessAccess, _writer: Writer, runtime: RuntimeDep
) -> MarkedRead:
    """Owners only."""
    try:
        return MarkedRead(marked=runtime.dashboard.mark_all_read(access))
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
