"""Personal access tokens (`/tokens`): read-only tokens for scripts and MCP clients.

Created with a session (a personal access token cannot make another: 403), shown once, listed by
prefix (never the token), revoked by id. Another user's token id answers 404, as an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import ClientIp, CurrentPrincipal, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.services.personal_tokens import (
    MAX_DAYS,
    MAX_NAME,
    InvalidTokenRequest,
    PersonalTokenRow,
    TooManyTokens,
)
from vaultra.services.tenancy import NotFound

router = APIRouter(tags=["tokens"])

TokenId = Annotated[uuid.UUID, Path(description="The token's id (not the token).")]


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Claude Desktop", "expires_in_days": 90}]},
    )
    name: str = Field(min_length=1, max_length=MAX_NAME, description="What the token is for.")
    expires_in_days: int = Field(
        30, ge=1, le=MAX_DAYS, description=f"Lifetime in days (at most {MAX_DAYS})."
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "8c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                    "name": "Claude Desktop",
                    "prefix": "vlt_pat_Q3x9",
                    "scope": "read",
                    "created_at": "2026-11-29T10:00:00Z",
                    "expires_at": "2027-02-27T10:00:00Z",
                    "last_used_at": None,
                }
            ]
        }
    )
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    scope: Literal["read"]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(description="To the minute.")


class TokenCreated(TokenPublic):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "8c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                    "name": "Claude Desktop",
                    "prefix": "vlt_pat_Q3x9",
                    "scope": "read",
                    "created_at": "2026-11-29T10:00:00Z",
                    "expires_at": "2027-02-27T10:00:00Z",
                    "last_used_at": None,
                    "token": "vlt_pat_Q3x9…",
                }
            ]
        }
    )
    token: str = Field(description="The token itself: shown this once, stored only hashed.")


def _public(row: PersonalTokenRow) -> TokenPublic:
    return TokenPublic(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scope="read",
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


@router.post(
    "/tokens",
    operation_id="createToken",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=responses(401, 403, 409, 422),
    summary="Create a personal access token",
)
def create_token(
    body: TokenCreate, principal: Writer, runtime: RuntimeDep, ip: ClientIp, response: Response
) -> TokenCreated:
    """A read-only token for scripts and MCP clients, shown once. 409 when 50 are active."""
    try:
        created = runtime.personal_tokens.create(
            principal.user_id, body.name, body.expires_in_days, ip=ip
        )
    except InvalidTokenRequest as exc:
        raise ApiError(422, str(exc)) from None
    except TooManyTokens as exc:
        raise ApiError(409, str(exc), kind="too-many-tokens") from None
    response.headers["Cache-Control"] = "no-store"
    return TokenCreated(**_public(created.row).model_dump(), token=created.token)


@router.get(
    "/tokens",
    operation_id="listTokens",
    response_model=Page[TokenPublic],
    responses=responses(400, 401, 422),
    summary="The caller's personal access tokens",
)
def list_tokens(
    principal: CurrentPrincipal, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[TokenPublic]:
    """Tokens not revoked, oldest first (expired ones included); never the token itself."""
    found = runtime.personal_tokens.of_user(
        principal.user_id, after=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(found, limit, lambda t: (t.created_at, t.id))
    return Page[TokenPublic](items=[_public(row) for row in page], next_cursor=next_cursor)


@router.delete(
    "/tokens/{token_id}",
    operation_id="revokeToken",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
    summary="Revoke a personal access token",
)
def revoke_token(
    token_id: TokenId, principal: Writer, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    try:
        runtime.personal_tokens.revoke(principal.user_id, token_id, ip=ip)
    except NotFound:
        raise ApiError(404, "no such token") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
