"""Members of a business and invitations by email.

Every member sees the members; owners invite (their own address verified first: 403
`email-not-verified`), list and revoke pending invitations, change roles and remove members; any
member may remove themselves. The last owner can be neither demoted nor removed (409
`last-owner`). The invited person accepts with the mailed token while signed in with the invited
address. A member or invitation id of another business answers 404, as an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.api.routers.businesses import BusinessPublic, public
from vaultra.services.accounts import MAX_EMAIL, InvalidEmail
from vaultra.services.mailed_tokens import InvalidMailedToken
from vaultra.services.members import (
    AlreadyMember,
    InvitationForAnotherAddress,
    InvitationRow,
    LastOwner,
    Member,
    TooManyInvitations,
)
from vaultra.services.rate_limits import LINK_TOKEN
from vaultra.services.tenancy import Forbidden, NotFound

router = APIRouter(tags=["members"])

RoleName = Literal["owner", "viewer"]
MemberId = Annotated[uuid.UUID, Path(description="The member's user id.")]
InvitationId = Annotated[uuid.UUID, Path(description="The invitation's id.")]


class MemberPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "0b6f3f0e-8a2c-4c53-9d0f-2a8b1c7d9e11",
                    "email": "founder@example.com",
                    "role": "owner",
                    "since": "2026-11-29T10:00:00Z",
                }
            ]
        }
    )
    user_id: uuid.UUID
    email: str
    role: RoleName
    since: datetime = Field(description="When they became a member.")


class InvitationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "cfo@example.com", "role": "viewer"}]},
    )
    email: str = Field(min_length=3, max_length=MAX_EMAIL)
    role: RoleName = "viewer"


class InvitationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
                    "email": "cfo@example.com",
                    "role": "viewer",
                    "created_at": "2026-11-29T10:00:00Z",
                    "expires_at": "2026-12-06T10:00:00Z",
                }
            ]
        }
    )
    id: uuid.UUID
    email: str
    role: RoleName
    created_at: datetime
    expires_at: datetime


class InvitationAccept(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"token": "vlt_inv_kP0…"}]}
    )
    token: str = Field(min_length=1, max_length=200, description="The token from the link.")


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "owner"}]})
    role: RoleName


def _member(m: Member) -> MemberPublic:
    return MemberPublic(user_id=m.user_id, email=m.email, role=m.role, since=m.since)  # type: ignore[arg-type]


def _invitation(i: InvitationRow) -> InvitationPublic:
    return InvitationPublic(
        id=i.id,
        email=i.email,
        role=i.role,  # type: ignore[arg-type]
        created_at=i.created_at,
        expires_at=i.expires_at,
    )


@router.get(
    "/businesses/{business_id}/members",
    operation_id="listMembers",
    response_model=Page[MemberPublic],
    responses=responses(400, 401, 404, 422),
    summary="The members of a business",
)
def list_members(
    access: BusinessAccess, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[MemberPublic]:
    """Earliest member first."""
    found = runtime.members.of_business(access, after=decode_cursor(cursor), limit=limit + 1)
    page, next_cursor = split_page(found, limit, lambda m: (m.since, m.user_id))
    return Page[MemberPublic](items=[_member(m) for m in page], next_cursor=next_cursor)


@router.patch(
    "/businesses/{business_id}/members/{user_id}",
    operation_id="changeMemberRole",
    response_model=MemberPublic,
    responses=responses(401, 403, 404, 409, 422),
    summary="Change a member's role",
)
def change_member_role(
    user_id: MemberId,
    body: RoleChange,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> MemberPublic:
    """Owners only. Demoting the last owner is 409 (`last-owner`)."""
    try:
        return _member(runtime.members.change_role(access, user_id, body.role, ip=ip))
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such member") from None
    except LastOwner as exc:
        raise ApiError(409, str(exc), kind="last-owner") from None


@router.delete(
    "/businesses/{business_id}/members/{user_id}",
    operation_id="removeMember",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
    summary="Remove a member (or leave)",
)
def remove_member(
    user_id: MemberId, access: BusinessAccess, _writer: Writer, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    """An owner removes anyone; any member may remove themselves. Removing the last owner is
    409 (`last-owner`): delete the business instead."""
    try:
        runtime.members.remove(access, user_id, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such member") from None
    except LastOwner as exc:
        raise ApiError(409, str(exc), kind="last-owner") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/businesses/{business_id}/invitations",
    operation_id="inviteMember",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationPublic,
    responses=responses(401, 403, 404, 409, 422),
    summary="Invite someone by email",
)
def invite_member(
    body: InvitationCreate,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> InvitationPublic:
    """Owners only, with a verified address (403 `email-not-verified`). A link valid for 7 days
    is mailed; inviting the same address again replaces the earlier link. 409 if the address is
    a member already, or 50 invitations are pending."""
    try:
        return _invitation(runtime.members.invite(access, body.email, body.role, ip=ip))
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except InvalidEmail as exc:
        raise ApiError(422, str(exc)) from None
    except AlreadyMember as exc:
        raise ApiError(409, str(exc), kind="already-member") from None
    except TooManyInvitations as exc:
        raise ApiError(409, str(exc), kind="too-many-invitations") from None


@router.get(
    "/businesses/{business_id}/invitations",
    operation_id="listInvitations",
    response_model=Page[InvitationPublic],
    responses=responses(400, 401, 403, 404, 422),
    summary="Pending invitations",
)
def list_invitations(
    access: BusinessAccess, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[InvitationPublic]:
    """Owners only; oldest first."""
    try:
        found = runtime.members.invitations(access, after=decode_cursor(cursor), limit=limit + 1)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    page, next_cursor = split_page(found, limit, lambda i: (i.created_at, i.id))
    return Page[InvitationPublic](items=[_invitation(i) for i in page], next_cursor=next_cursor)


@router.delete(
    "/businesses/{business_id}/invitations/{invitation_id}",
    operation_id="revokeInvitation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Revoke a pending invitation",
)
def revoke_invitation(
    invitation_id: InvitationId,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> Response:
    try:
        runtime.members.revoke_invitation(access, invitation_id, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(404, "no such invitation") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations/accept",
    operation_id="acceptInvitation",
    response_model=BusinessPublic,
    responses=responses(400, 401, 403, 422, 429),
    summary="Accept an invitation",
)
def accept_invitation(
    body: InvitationAccept, principal: Writer, runtime: RuntimeDep, ip: ClientIp
) -> BusinessPublic:
    """Join the business the mailed token names, signed in with the invited address (403
    `invitation-for-another-address` otherwise, and the invitation stays usable). A token that
    does not work is 400 (`invalid-token`)."""
    limits = runtime.rate_limits
    attempt = limits.attempt(LINK_TOKEN, ip=ip)
    limits.check(attempt)
    try:
        return public(runtime.members.accept(principal.user_id, body.token, ip=ip))
    except InvalidMailedToken:
        limits.failed(attempt)
        raise ApiError(
            400, "the invitation is invalid, used, revoked or expired", kind="invalid-token"
        ) from None
    except InvitationForAnotherAddress as exc:
        raise ApiError(403, str(exc), kind="invitation-for-another-address") from None
