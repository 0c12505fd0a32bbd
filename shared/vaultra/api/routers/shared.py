"""What a lender sees through a share link — no account, read only: the report's summary (the
dashboard's share page renders it) and its PDF and CSV. Each view is logged for the founder. A
link that is unknown, expired or revoked answers 404 and says nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import ClientIp, RuntimeDep
from vaultra.api.problems import ApiError, responses
from vaultra.api.routers.reports import _SUMMARY_EXAMPLE, ReportSummary
from vaultra.services.sharing import MAX_TOKEN, LinkGone, SharedReport, What

router = APIRouter(tags=["shared"])

ShareToken = Annotated[
    str, Path(min_length=1, max_length=MAX_TOKEN, description="The share link's token.")
]
# Nothing a share link answers belongs in a search engine or a cache.
_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}
_GONE = "no such shared report"


class SharedReportPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "label": "Lighter Capital",
                    "expires_at": "2026-12-13T10:05:00Z",
                    "report_id": "6a1f0c52-8d4e-4f8a-9b7c-2e3d4f5a6b7c",
                    "created_at": "2026-11-29T10:00:00Z",
                    "summary": _SUMMARY_EXAMPLE,
                    "pdf_path": "/api/v1/shared/vlt_sh_…/report.pdf",
                    "csv_path": "/api/v1/shared/vlt_sh_…/report.csv",
                }
            ]
        }
    )
    label: str = Field(description="Who the founder shared it with.")
    expires_at: datetime
    report_id: uuid.UUID
    created_at: datetime = Field(description="When the report was made.")
    summary: ReportSummary
    pdf_path: str
    csv_path: str


def _open(
    runtime: RuntimeDep, token: str, what: What, ip: str | None, request: Request
) -> SharedReport:
    try:
        return runtime.sharing.open(
            token, what, ip=ip, user_agent=request.headers.get("user-agent")
        )
    except LinkGone:
        raise ApiError(404, _GONE, headers=_HEADERS) from None


def _file(shared: SharedReport) -> Response:
    assert shared.file is not None
    return Response(
        shared.file.data,
        media_type=shared.file.content_type,
        headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{shared.filename}"'},
    )


@router.get(
    "/shared/{token}",
    operation_id="getSharedReport",
    response_model=SharedReportPublic,
    responses=responses(404, 422),
    summary="A shared report's summary",
)
def get_shared_report(
    token: ShareToken, request: Request, response: Response, runtime: RuntimeDep, ip: ClientIp
) -> SharedReportPublic:
    """The report's summary as it was made: the score, its components, the lender fit (estimates,
    not offers), the period and the data's date."""
    shared = _open(runtime, token, "summary", ip, request)
    response.headers.update(_HEADERS)
    base = f"/api/v1/shared/{token}"
    return SharedReportPublic(
        label=shared.label,
        expires_at=shared.expires_at,
        report_id=shared.report_id,
        created_at=shared.created_at,
        summary=ReportSummary.model_validate(shared.summary),
        pdf_path=f"{base}/report.pdf",
        csv_path=f"{base}/report.csv",
    )


@router.get(
    "/shared/{token}/report.pdf",
    operation_id="getSharedReportPdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **responses(404, 422),
    },
    summary="A shared report's PDF",
)
def get_shared_report_pdf(
    token: ShareToken, request: Request, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    return _file(_open(runtime, token, "pdf", ip, request))


@router.get(
    "/shared/{token}/report.csv",
    operation_id="getSharedReportCsv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **responses(404, 422),
    },
    summary="A shared report's CSV of monthly metrics",
)
def get_shared_report_csv(
    token: ShareToken, request: Request, runtime: RuntimeDep, ip: ClientIp
) -> Response:
    return _file(_open(runtime, token, "csv", ip, request))
