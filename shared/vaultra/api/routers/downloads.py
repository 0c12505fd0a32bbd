"""Downloads through short-lived signed links the API serves itself (local storage; in
production report links point at Cloud Storage). The link is the credential: no bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from vaultra.api.deps import RuntimeDep
from vaultra.api.problems import ApiError, responses
from vaultra.services.downloads import LinkNotFound

router = APIRouter(tags=["downloads"])

DownloadToken = Annotated[
    str, Path(min_length=1, max_length=1000, description="The signed link's token.")
]


@router.get(
    "/downloads/{token}",
    operation_id="downloadFile",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        },
        **responses(404, 422),
    },
    summary="Download a file through a signed link",
)
def download_file(token: DownloadToken, runtime: RuntimeDep) -> Response:
    """The file a report's `downloads` link names, until the link expires (then 404)."""
    try:
        found = runtime.downloads.open(token)
    except LinkNotFound:
        raise ApiError(404, "this download link is invalid or has expired") from None
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
