"""Recommendations: what the data triggers now, in plan order, and the owner's status of each.

Marking one is the owner's (403 for a viewer, and for a read-only token): its status decides this
week's plan, which every member of the business sees.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, ClientIp, RuntimeDep, Writer
from vaultra.api.problems import ApiError, responses
from vaultra.services.dashboard import RecommendationRow
from vaultra.services.tenancy import Forbidden, NotFound

router = APIRouter(tags=["recommendations"])

RecommendationStatus = Literal["open", "done", "dismissed"]

_EXAMPLE: dict[str, Any] = {
    "key": "lower_refunds",
    "title": "Find what drives refunds (product, promise, support) and fix the biggest cause",
    "trigger": "refund rate above 2 % over 90 days",
    "rank": 1,
    "status": "open",
    "this_week": True,
    "expected_gain": 2,
    "effort": "medium",
    "takes_effect": "about 90 days",
    "article": "kb-refund-reduction",
    "unlocks": [],
    "as_of": "2026-11-28",
    "status_changed_at": None,
}


class RecommendationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})
    key: str
    title: str
    trigger: str | None = Field(description="What in the data triggers it.")
    rank: int = Field(description="Its place in the plan, 1 first.")
    status: RecommendationStatus
    this_week: bool = Field(description="Among this week's plan: the first three still open.")
    expected_gain: int = Field(description="Score points it adds on top of the steps before it.")
    effort: Literal["low", "medium", "high"]
    takes_effect: str
    article: str = Field(description="The help article that explains how.")
    unlocks: list[str] = Field(description="Lender products it would make eligible.")
    as_of: date = Field(description="The scored day that ranked it.")
    status_changed_at: datetime | None


class RecommendationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_EXAMPLE]}]})
    items: list[RecommendationOut] = Field(
        description="In plan order; as many as the data triggers."
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "done"}]})
    status: RecommendationStatus


def _out(row: RecommendationRow) -> RecommendationOut:
    return RecommendationOut.model_validate(dataclasses.asdict(row))


@router.get(
    "/businesses/{business_id}/recommendations",
    operation_id="listRecommendations",
    response_model=RecommendationList,
    responses=responses(401, 404, 422),
    summary="What to do, in plan order",
)
def list_recommendations(access: BusinessAccess, runtime: RuntimeDep) -> RecommendationList:
    """The actions the latest score recommends, ranked by expected gain per effort, with their
    status and this week's plan; empty until the first score."""
    return RecommendationList(items=[_out(r) for r in runtime.dashboard.recommendations(access)])


Key = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_]+$",
        description="The recommendation's key, e.g. `lower_refunds`.",
    ),
]


@router.put(
    "/businesses/{business_id}/recommendations/{key}/status",
    operation_id="setRecommendationStatus",
    response_model=RecommendationOut,
    responses=responses(401, 403, 404, 413, 422),
    summary="Mark a recommendation done, dismissed or open",
)
def set_recommendation_status(
    key: Key,
    body: StatusChange,
    access: BusinessAccess,
    _writer: Writer,
    runtime: RuntimeDep,
    ip: ClientIp,
) -> RecommendationOut:
    """The status survives every recompute; a recommendation done or dismissed leaves this
    week's plan. Owners only."""
    try:
        row = runtime.dashboard.set_recommendation_status(access, key, body.status, ip=ip)
    except Forbidden as exc:
        raise ApiError(403, str(exc)) from None
    except NotFound:
        raise ApiError(
            404, f"no current recommendation {key!r}", kind="unknown-recommendation"
        ) from None
    return _out(row)
