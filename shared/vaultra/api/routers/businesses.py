"""Businesses: create, list, read, rename, delete (with all their data)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, CurrentPrincipal, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.services.tenancy import MAX_NAME, Forbidden, InvalidName, MemberBusiness

router = APIRouter(tags=["businesses"])


class BusinessCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Acme Analytics"}]}
    )
    name: str = Field(min_length=1, max_length=MAX_NAME)


class BusinessUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Acme Inc."}]}
    )
    name: str = Field(min_length=1, max_length=MAX_NAME)


class StripeLink(BaseModel):
    account_id: str
    livemode: bool


class BusinessPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d2c1c9e-3f61-4a0b-8d7e-1f2a3b4c5d6e",
                    "name": "Acme Analytics",
                    "role": "owner",
                    "created_at": "2026-11-29T10:00:00Z",
                    "stripe": None,
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    role: Literal["owner", "viewer"] = Field(description="The caller's role in the business.")
    created_at: datetime
    stripe: StripeLink | None = Field(description="The linked Stripe account, if any.")


def public(b: MemberBusiness) -> BusinessPublic:
    link = (
        StripeLink(account_id=b.stripe_account, livemode=bool(b.livemode))
        if b.stripe_account
        else None
    )
    return BusinessPublic(id=b.id, name=b.name, role=b.role, created_at=b.created_at, stripe=link)  # type: ignore[arg-type]


@router.post(
    "/businesses",
    operation_id="createBusiness",
    status_code=status.HTTP_201_CREATED,
    response_model=BusinessPublic,
    responses=responses(401, 403, 422),
    summary="Create a business",
)
def create_business(body: BusinessCreate, principal: Writer, runtime: RuntimeDep) -> BusinessPublic:
    """A new business, of which the caller is the owner."""
    try:
        return public(runtime.tenancy.create_business(principal.user_id, body.name))
    except InvalidName as exc:
        raise ApiError(422, str(exc)) from None


@router.get(
    "/businesses",
    operation_id="listBusinesses",
    response_model=Page[BusinessPublic],
    responses=responses(400, 401, 422),
    summary="The caller's businesses",
)
def list_businesses(
    principal: CurrentPrincipal, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[BusinessPublic]:
    found = runtime.tenancy.businesses(
        principal.user_id, after=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(found, limit, lambda b: (b.created_at, b.id))
    return Page[BusinessPublic](items=[public(b) for b in page], next_cursor=next_cursor)


@router.get(
    "/businesses/{business_id}",
    operation_id="getBusiness",
    response_model=BusinessPublic,
    responses=responses(401, 404, 422),
    summary="A business",
)
def get_business(access: BusinessAccess, runtime: RuntimeDep) -> BusinessPublic:
    return public(runtime.tenancy.business(access))


@router.patch(
    "/businesses/{business_id}",
    operation_id="renameBusiness",
    response_model=BusinessPublic,
    responses=responses(401, 403, 404, 422),
    summary="Rename a business",
)
def rename_business(
    body: BusinessUpdate, access: BusinessAccess, _writer: Writer, runtime: RuntimeDep
) -> BusinessPublic:
    try:
        return public(runtime.tenancy.rename(access, body.name))
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except InvalidName as exc:
        raise ApiError(422, str(exc)) from None


@router.delete(
    "/businesses/{business_id}",
    operation_id="deleteBusiness",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Delete a business and all its data",
)
def delete_business(access: BusinessAccess, _writer: Writer, runtime: RuntimeDep) -> Response:
    """The business, its ledger, metrics, scores, reports and share links, for good."""
    try:
        runtime.tenancy.delete(access)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    runtime.reports.delete_files_of([access.business_id])  # its reports' PDFs and CSVs
    return Response(status_code=status.HTTP_204_NO_CONTENT)
