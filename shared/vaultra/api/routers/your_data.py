"""Your data: everything of the businesses you own as one ZIP; deleting your account."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import ClientIp, RuntimeDep, Writer
from vaultra.api.problems import ApiError, responses
from vaultra.services.passwords import MAX_LENGTH
from vaultra.services.tenancy import NotFound
from vaultra.services.your_data import WrongPassword

router = APIRouter(tags=["me"])

CHUNK = 64 * 1024
# An export is kept in memory up to this size, then on disk.
IN_MEMORY = 8 * 1024 * 1024


class AccountDeletion(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "a long passphrase"}]}
    )
    password: str = Field(min_length=1, max_length=MAX_LENGTH, description="Your password.")


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


@router.get(
    "/me/export",
    operation_id="exportMyData",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        **responses(401, 403),
    },
    summary="Export your data as a ZIP",
)
def export_my_data(principal: Writer, runtime: RuntimeDep, ip: ClientIp) -> StreamingResponse:
    """Everything of the businesses you own — the Stripe data Vaultra ingested, metrics, scores,
    recommendations, notifications, reports and share links — and your account, as CSV files in
    one ZIP (see its README.txt). Needs a signed-in session, not a personal access token."""
    # Outlives this function: the response streams it, then closes it.
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    try:
        runtime.your_data.export(principal.user_id, file, ip=ip)
    except BaseException:
        file.close()
        raise
    day = runtime.clock().date().isoformat()
    return StreamingResponse(
        _chunks(file),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="vaultra-export-{day}.zip"'},
    )


@router.delete(
    "/me",
    operation_id="deleteMyAccount",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 422),
    summary="Delete your account",
    tags=["me"],
)
def delete_my_account(body: AccountDeletion, principal: Writer, runtime: RuntimeDep) -> Response:
    """Your account, for good, confirmed by your password (403 `wrong-password`): the businesses
    you alone own go with all their data; you leave the others. Not undoable."""
    try:
        runtime.your_data.delete_account(principal.user_id, body.password)
    except WrongPassword:
        raise ApiError(403, "the password is not right", kind="wrong-password") from None
    except NotFound:
        raise ApiError(401, "the account no longer exists") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
