"""Share a report with a lender: a read-only link shown once, expiring, revocable; the founder
sees each link's views (when, from where, with what, what was seen)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.api.routers.reports import ReportId
from vaultra.services.sharing import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MAX_LABEL,
    MIN_DAYS,
    InvalidShare,
    ShareLinkRow,
)
from vaultra.services.tenancy import Forbidden, NotFound

router = APIRouter(tags=["sharing"])

ShareId = Annotated[uuid.UUID, Path(description="The share link's id.")]


class ShareCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"label": "Lighter Capital", "expires_in_days": 14}]},
    )
    label: str = Field(
        min_length=1, max_length=MAX_LABEL, description="Who the link is for (shown to them)."
    )
    expires_in_days: int = Field(DEFAULT_DAYS, ge=MIN_DAYS, le=MAX_DAYS)


class ShareLinkPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f5b8a3e-2c1d-4e6f-9a8b-7c6d5e4f3a2b",
                    "report_id": "6a1f0c52-8d4e-4f8a-9b7c-2e3d4f5a6b7c",
                    "label": "Lighter Capital",
                    "status": "active",
                    "created_at": "2026-11-29T10:05:00Z",
                    "expires_at": "2026-12-13T10:05:00Z",
                    "revoked_at": None,
                    "views": 3,
                    "last_viewed_at": "2026-11-30T08:12:44Z",
                }
            ]
        }
    )
    id: uuid.UUID
    report_id: uuid.UUID
    label: str
    status: Literal["active", "expired", "revoked"]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    views: int = Field(description="How many times the link was viewed.")
    last_viewed_at: datetime | None


class ShareLinkCreated(ShareLinkPublic):
    token: str = Field(description="The link's secret, shown this once and never again.")
    url: str = Field(
        description="The page to give the lender: `/shared#token=…`, the token in the fragment."
    )
    summary_url: str = Field(description="The summary as JSON (what the page shows).")
    pdf_url: str
    csv_url: str


class ShareViewPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    "viewed_at": "2026-11-30T08:12:44Z",
                    "ip": "203.0.113.7",
                    "user_agent": "Mozilla/5.0 …",
                    "what": "pdf",
                }
            ]
        }
    )
    id: uuid.UUID
    viewed_at: datetime
    ip: str | None
    user_agent: str | None
    what: Literal["summary", "pdf", "csv"] = Field(description="What was seen.")


def public(link: ShareLinkRow, now: datetime) -> ShareLinkPublic:
    return ShareLinkPublic(
        id=link.id,
        report_id=link.report_id,
        label=link.label,
        status=link.status(now),
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        views=link.views,
        last_viewed_at=link.last_viewed_at,
    )


@router.post(
    "/businesses/{business_id}/reports/{report_id}/share",
    operation_id="createShareLink",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareLinkCreated,
    responses=responses(401, 403, 404, 422),
    summary="Share a report with a lender",
)
def create_share_link(
    report_id: ReportId,
    body: ShareCreate,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> ShareLinkCreated:
    """A read-only link to the report and its summary page, expiring after `expires_in_days`.
    The token is shown once. Needs an owner with a verified email address (403
    `email-not-verified` otherwise)."""
    try:
        created = runtime.sharing.create(
            access, report_id, label=body.label, expires_in_days=body.expires_in_days, ip=ip
        )
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such report") from None
    except InvalidShare as exc:
        raise ApiError(422, str(exc)) from None
    api = f"{runtime.settings.public_url}/api/v1/shared/{created.token}"
    return ShareLinkCreated(
        **public(created.link, runtime.clock()).model_dump(),
        token=created.token,
        # In the fragment, as in mailed links: a browser never sends it, so the credential stays
        # out of the site's request logs and every Referer; the page reads it and calls the API.
        url=f"{runtime.settings.public_url}/shared#token={created.token}",
        summary_url=api,
        pdf_url=f"{api}/report.pdf",
        csv_url=f"{api}/report.csv",
    )


@router.get(
    "/businesses/{business_id}/shares",
    operation_id="listShareLinks",
    response_model=Page[ShareLinkPublic],
    responses=responses(400, 401, 404, 422),
    summary="The business's share links, newest first",
)
def list_share_links(
    access: BusinessAccess,
    runtime: RuntimeDep,
    report_id: Annotated[uuid.UUID | None, Query(description="Only this report's links.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ShareLinkPublic]:
    found = runtime.sharing.page(
        access, report_id=report_id, after=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(found, limit, lambda s: (s.created_at, s.id))
    now = runtime.clock()
    return Page[ShareLinkPublic](items=[public(s, now) for s in page], next_cursor=next_cursor)


@router.get(
    "/businesses/{business_id}/shares/{share_id}",
    operation_id="getShareLink",
    response_model=ShareLinkPublic,
    responses=responses(401, 404, 422),
    summary="A share link",
)
def get_share_link(
    share_id: ShareId, access: BusinessAccess, runtime: RuntimeDep
) -> ShareLinkPublic:
    try:
        return public(runtime.sharing.get(access, share_id), runtime.clock())
    except NotFound:
        raise ApiError(404, "no such share link") from None


@router.get(
    "/businesses/{business_id}/shares/{share_id}/views",
    operation_id="listShareViews",
    response_model=Page[ShareViewPublic],
    responses=responses(400, 401, 404, 422),
    summary="Who viewed a share link, newest first",
)
def list_share_views(
    share_id: ShareId,
    access: BusinessAccess,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ShareViewPublic]:
    try:
        found = runtime.sharing.views(
            access, share_id, after=decode_cursor(cursor), limit=limit + 1
        )
    except NotFound:
        raise ApiError(404, "no such share link") from None
    page, next_cursor = split_page(found, limit, lambda v: (v.viewed_at, v.id))
    items = [
        ShareViewPublic(
            id=v.id,
            viewed_at=v.viewed_at,
            ip=v.ip,
            user_agent=v.user_agent,
            what=v.what,  # type: ignore[arg-type]
        )
        for v in page
    ]
    return Page[ShareViewPublic](items=items, next_cursor=next_cursor)


@router.post(
    "/businesses/{business_id}/shares/{share_id}/revoke",
    operation_id="revokeShareLink",
    response_model=ShareLinkPublic,
    responses=responses(401, 403, 404, 422),
    summary="Revoke a share link",
)
def revoke_share_link(
    share_id: ShareId, access: BusinessAccess, _writer: Writer, runtime: RuntimeDep, ip: ClientIp
) -> ShareLinkPublic:
    """The link stops working at once (its pages answer 404); it stays listed with its views.
    Revoking twice changes nothing."""
    try:
        return public(runtime.sharing.revoke(access, share_id, ip=ip), runtime.clock())
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such share link") from None
