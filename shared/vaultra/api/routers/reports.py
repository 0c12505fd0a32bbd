"""Lender reports: made from the business's stored score and metrics, listed, read with links
that download the PDF and the CSV for a few minutes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.pagination import Cursor, Limit, Page, decode_cursor, split_page
from vaultra.api.problems import ApiError, responses
from vaultra.services.reports import NoScoreYet, ReportRow
from vaultra.services.tenancy import Forbidden, NotFound

router = APIRouter(tags=["reports"])

ReportId = Annotated[uuid.UUID, Path(description="The report's id.")]

_SUMMARY_EXAMPLE: dict[str, Any] = {
    "business_name": "Acme Analytics",
    "as_of": "2026-11-28",
    "period": {"start": "2025-11-01", "end": "2026-11-28"},
    "data_through": "2026-11-28T23:10:04+00:00",
    "currency": "usd",
    "score": 72,
    "confidence": "high",
    "components": [
        {
            "key": "revenue_scale",
            "title": "Revenue scale",
            "points": 14,
            "max_points": 20,
            "explanation": "ARR of 240,000.00 USD: 14 of 20 points.",
        }
    ],
    "lender_fit": [
        {
            "lender": "Lighter Capital",
            "product": "Revenue-based financing",
            "status": "eligible",
            "gaps": [],
            "offer": {
                "low": 4000000,
                "high": 8000000,
                "currency": "usd",
                "basis": "one third to two thirds of ARR",
                "disclaimer": "An estimate from the lender's published sizing rule, not an offer.",
            },
        }
    ],
    "versions": {
        "model": "score-3",
        "metrics_policy": "metrics-3",
        "lender_criteria": "lenders-2026-11",
    },
    "disclaimer": "Estimates are not offers: …",
    "offer_disclaimer": "An estimate from the lender's published sizing rule, not an offer.",
}


class Period(BaseModel):
    start: date = Field(description="First day covered (the oldest month shown).")
    end: date = Field(description="Last day covered (the score's day, end of day UTC).")


class ComponentSummary(BaseModel):
    key: str
    title: str
    points: int
    max_points: int
    explanation: str


class OfferEstimate(BaseModel):
    low: int = Field(description="Minor units of `currency`.")
    high: int = Field(description="Minor units of `currency`.")
    currency: str
    basis: str
    disclaimer: str


class LenderFitSummary(BaseModel):
    lender: str
    product: str
    status: Literal["eligible", "not_yet", "not_a_fit"]
    gaps: list[str] = Field(description="What stands between the business and this product.")
    offer: OfferEstimate | None = Field(description="An estimate, never an offer.")


class Versions(BaseModel):
    model: str = Field(description="The score model's version.")
    metrics_policy: str = Field(description="The metrics policy's version.")
    lender_criteria: str = Field(description="The lender criteria's version.")


class ReportSummary(BaseModel):
    """What the report says, as it was when it was made."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})
    business_name: str
    as_of: date
    period: Period
    data_through: str | None = Field(description="The latest Stripe data seen (UTC ISO 8601).")
    last_synced_at: str | None = Field(
        None,
        description="When Stripe was last heard from (a webhook, a completed import) as of the "
        "report's day: the data's freshness (UTC ISO 8601). Absent from reports made before it.",
    )
    currency: str | None
    score: int = Field(ge=0, le=100)
    confidence: str
    components: list[ComponentSummary]
    lender_fit: list[LenderFitSummary]
    versions: Versions
    disclaimer: str = Field(description="Estimates are not offers.")
    offer_disclaimer: str


class ReportPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1f0c52-8d4e-4f8a-9b7c-2e3d4f5a6b7c",
                    "business_id": "5d2c1c9e-3f61-4a0b-8d7e-1f2a3b4c5d6e",
                    "as_of": "2026-11-28",
                    "score": 72,
                    "period": {"start": "2025-11-01", "end": "2026-11-28"},
                    "data_through": "2026-11-28T23:10:04+00:00",
                    "model_version": "score-3",
                    "created_at": "2026-11-29T10:00:00Z",
                }
            ]
        }
    )
    id: uuid.UUID
    business_id: uuid.UUID
    as_of: date = Field(description="The day of the score the report shows.")
    score: int
    period: Period
    data_through: str | None
    model_version: str
    created_at: datetime


class Downloads(BaseModel):
    pdf_url: str = Field(description="Downloads the PDF until `expires_at`.")
    csv_url: str = Field(description="Downloads the CSV of monthly metrics until `expires_at`.")
    expires_at: datetime


class ReportDetail(ReportPublic):
    summary: ReportSummary
    downloads: Downloads


def public(report: ReportRow) -> ReportPublic:
    summary = report.summary
    return ReportPublic(
        id=report.id,
        business_id=report.business_id,
        as_of=report.as_of,
        score=summary["score"],
        period=Period(**summary["period"]),
        data_through=summary.get("data_through"),
        model_version=report.model_version,
        created_at=report.created_at,
    )


def detail(report: ReportRow, runtime: RuntimeDep) -> ReportDetail:
    links = runtime.reports.links(report)
    return ReportDetail(
        **public(report).model_dump(),
        summary=ReportSummary.model_validate(report.summary),
        downloads=Downloads(
            pdf_url=links.pdf_url, csv_url=links.csv_url, expires_at=links.expires_at
        ),
    )


@router.post(
    "/businesses/{business_id}/reports",
    operation_id="createReport",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportDetail,
    responses=responses(401, 403, 404, 409, 422),
    summary="Make a lender report",
)
def create_report(
    access: BusinessAccess, _writer: Writer, runtime: RuntimeDep, ip: ClientIp
) -> ReportDetail:
    """A PDF with charts and a CSV of monthly metrics, made from the latest stored score and its
    metrics (409 while the business has no score). Only an owner may make one."""
    try:
        report = runtime.reports.create(access, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NoScoreYet as exc:
        raise ApiError(409, str(exc), kind="no-score-yet") from None
    return detail(report, runtime)


@router.get(
    "/businesses/{business_id}/reports",
    operation_id="listReports",
    response_model=Page[ReportPublic],
    responses=responses(400, 401, 404, 422),
    summary="The business's reports, newest first",
)
def list_reports(
    access: BusinessAccess, runtime: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ReportPublic]:
    found = runtime.reports.page(access, after=decode_cursor(cursor), limit=limit + 1)
    page, next_cursor = split_page(found, limit, lambda r: (r.created_at, r.id))
    return Page[ReportPublic](items=[public(r) for r in page], next_cursor=next_cursor)


@router.get(
    "/businesses/{business_id}/reports/{report_id}",
    operation_id="getReport",
    response_model=ReportDetail,
    responses=responses(401, 404, 422),
    summary="A report, with links that download its files",
)
def get_report(report_id: ReportId, access: BusinessAccess, runtime: RuntimeDep) -> ReportDetail:
    """The report and what it says; `downloads` work for a few minutes (ask again for more)."""
    try:
        return detail(runtime.reports.get(access, report_id), runtime)
    except NotFound:
        raise ApiError(404, "no such report") from None
