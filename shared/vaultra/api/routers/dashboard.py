"""What the dashboard reads about one business: the summary (score and sync state), a metric's
time series, the lender fit and the score history — all from stored rows, nothing computed."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import (
    BearerToken,
    BusinessAccess,
    BusinessId,
    RuntimeDep,
    read_in_business,
)
from vaultra.api.problems import ApiError, responses
from vaultra.domain.metrics.catalog import CATALOG
from vaultra.services.dashboard import (
    Granularity,
    InvalidPeriod,
    NotScoredYet,
    Range,
    UnknownMetric,
)

router = APIRouter(tags=["dashboard"])

# A metric value as stored: money in integer minor units, ratios as fractions, counts, a
# timestamp (ISO 8601), or amounts by key (per currency, per month).
MetricJson = int | float | str | dict[str, int] | None
Confidence = Literal["high", "medium", "low"]


# --- summary -------------------------------------------------------------------------------------


class Band(BaseModel):
    limit: int | float = Field(
        description="Reached at or beyond this value; money in minor units of `currency`."
    )
    points: int
    meaning: str


class Threshold(BaseModel):
    criterion: str
    label: str = Field(description="The criterion as a person reads it, e.g. `monthly growth`.")
    status: Literal["scored", "no_data"] = Field(description="no_data: counted at half marks.")
    metric: str | None = Field(description="The input that decided, none without data.")
    value: int | float | None
    counted_as: int | float | None = Field(
        None,
        description="Set when the events behind a ratio are too few for the lines it crossed "
        "(the card networks' count minimums): the value it was scored as.",
    )
    points: int
    max_points: int
    applied: str | None = Field(description="The band reached, as a person reads it.")
    unit: Literal["money", "ratio", "count", "months", "hours"] | None
    currency: str | None = Field(None, description="The currency of money bands.")
    bands: list[Band] = Field(description="Best first.")


class Component(BaseModel):
    key: str
    title: str
    points: int = Field(description="Negative for a ceiling: the points it holds back.")
    max_points: int
    explanation: str
    inputs: dict[str, MetricJson] = Field(description="The metrics it read, by key.")
    thresholds: list[Threshold]


class Factor(BaseModel):
    key: str
    title: str
    points_lost: int
    could_gain: int = Field(description="What the score gains with this component at full marks.")


class SyncOut(BaseModel):
    stripe_account: str | None = Field(description="The linked Stripe account, if any.")
    livemode: bool | None
    last_event_at: datetime | None = Field(
        description="When Stripe created the newest event received for the business."
    )
    backfill: Literal["not_started", "running", "succeeded", "failed"] = Field(
        description="The latest import of the Stripe history."
    )
    backfill_started_at: datetime | None
    backfill_finished_at: datetime | None
    months_imported: int = Field(description="Calendar months of history imported in full.")
    objects_imported: int = Field(description="Stripe objects imported by the backfill.")


class SummaryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-28",
                    "model_version": "score-3",
                    "score": 88,
                    "confidence": "high",
                    "components": [
                        {
                            "key": "revenue_scale",
                            "title": "Revenue scale",
                            "points": 9,
                            "max_points": 12,
                            "explanation": "Annual revenue (12-month volume) 220,000.00 USD, at "
                            "Lighter Capital's 200K minimum (9 of 12).",
                            "inputs": {"gross_volume_12m": 22000000, "arr": 24000000},
                            "thresholds": [
                                {
                                    "criterion": "annual_revenue",
                                    "label": "annual revenue",
                                    "status": "scored",
                                    "metric": "gross_volume_12m",
                                    "value": 22000000,
                                    "points": 9,
                                    "max_points": 12,
                                    "applied": "≥ 200,000 USD",
                                    "unit": "money",
                                    "currency": "usd",
                                    "bands": [
                                        {
                                            "limit": 20000000,
                                            "points": 9,
                                            "meaning": "at Lighter Capital's 200K minimum",
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                    "top_factors": [
                        {"key": "growth", "title": "Growth", "points_lost": 4, "could_gain": 4}
                    ],
                    "missing": [],
                    "currency": "usd",
                    "scored_at": "2026-11-29T06:00:03Z",
                    "data_through": "2026-11-28T23:41:10Z",
                    "last_synced_at": "2026-11-29T05:58:41Z",
                    "sync": {
                        "stripe_account": "acct_1Nv0FGQ9RKHgCVdK",
                        "livemode": True,
                        "last_event_at": "2026-11-28T23:41:10Z",
                        "backfill": "succeeded",
                        "backfill_started_at": "2026-11-01T09:00:00Z",
                        "backfill_finished_at": "2026-11-01T09:04:12Z",
                        "months_imported": 37,
                        "objects_imported": 18250,
                    },
                }
            ]
        }
    )
    as_of: date | None = Field(description="The scored day; null until the first score.")
    model_version: str = Field(description="The score model the score is under.")
    score: int | None = Field(description="0–100; null until the first score exists.")
    confidence: Confidence | None = Field(
        description="How much of the score is backed by data rather than half marks."
    )
    components: list[Component] = Field(description="They add up to the score exactly.")
    top_factors: list[Factor]
    missing: list[str] = Field(description="Criteria scored without data, and why.")
    currency: str | None = Field(description="The currency of every amount (minor units).")
    scored_at: datetime | None
    data_through: datetime | None = Field(description="The latest Stripe data the score read.")
    last_synced_at: datetime | None = Field(
        None,
        description="When Vaultra last heard from Stripe (a webhook, a completed import) as the "
        "score read it: its freshness.",
    )
    sync: SyncOut


@router.get(
    "/businesses/{business_id}/summary",
    operation_id="getSummary",
    response_model=SummaryOut,
    responses=responses(401, 404, 422),
    summary="The dashboard's summary",
)
async def get_summary(
    business_id: BusinessId, bearer: BearerToken, runtime: RuntimeDep
) -> Response:
    """The latest score under the current model with its components and top factors, and what
    ingestion is doing. `score` is null until the first score exists."""
    # The dashboard's most frequent read: the token, the membership and the stored row are read in
    # one worker-thread hop on one connection, two statements (401 and 404 as `BusinessAccess`
    # decides them), and validated once here, rather than validated again and serialized in another hop by FastAPI.
    summary = await read_in_business(runtime, bearer, business_id, runtime.dashboard.summary_in)
    body = SummaryOut.model_validate(_fields(summary))
    return Response(body.model_dump_json(), media_type="application/json")


def _fields(value: Any) -> Any:
    """A dataclass as a mapping of its fields (nested dataclasses too), without copying the JSON
    it holds as `dataclasses.asdict` would."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _fields(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


# --- metric series -------------------------------------------------------------------------------


class MetricPointOut(BaseModel):
    as_of: date
    value: MetricJson
    note: str | None = Field(description="Why the value is null, when it is.")


class MetricSeriesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "metric": "mrr",
                    "kind": "money",
                    "granularity": "monthly",
                    "range": "12m",
                    "start": "2025-12-01",
                    "end": "2026-11-28",
                    "currency": "usd",
                    "points": [
                        {"as_of": "2026-10-31", "value": 1940000, "note": None},
                        {"as_of": "2026-11-28", "value": 2000000, "note": None},
                    ],
                }
            ]
        }
    )
    metric: str
    kind: Literal[
        "money", "money_by_key", "rate_by_key", "ratio", "multiple", "count", "index", "timestamp"
    ] = Field(description="How to read a value: money in minor units, ratios as fractions.")
    granularity: Granularity
    range: Range
    start: date | None = Field(description="The range's first day; null without data.")
    end: date | None = Field(description="The latest day with a stored value.")
    currency: str | None
    points: list[MetricPointOut] = Field(description="Oldest first.")


METRIC_KEYS = [m.key for m in CATALOG]


@router.get(
    "/businesses/{business_id}/metrics/{metric}",
    operation_id="getMetricSeries",
    response_model=MetricSeriesOut,
    responses=responses(401, 404, 422),
    summary="A metric's time series",
)
def get_metric_series(
    access: BusinessAccess,
    runtime: RuntimeDep,
    metric: Annotated[
        str,
        Path(
            max_length=64,
            description="A key of the metric catalog.",
            json_schema_extra={"enum": METRIC_KEYS},
        ),
    ],
    range_: Annotated[
        Range,
        Query(
            alias="range",
            description="How far back from the latest stored day: days, or calendar months.",
        ),
    ] = "12m",
    granularity: Annotated[
        Granularity, Query(description="Every stored day, or each month's latest.")
    ] = "monthly",
) -> MetricSeriesOut:
    """The metric's stored values over the range, which ends at its latest stored day."""
    try:
        series = runtime.dashboard.metric_series(access, metric, range_, granularity)
    except UnknownMetric:
        raise ApiError(
            404, f"no metric {metric[:64]!r}: use a key of the catalog", kind="unknown-metric"
        ) from None
    return MetricSeriesOut.model_validate(dataclasses.asdict(series))


# --- lender fit ----------------------------------------------------------------------------------

GapValue = int | float | str | None


class GapOut(BaseModel):
    criterion: str
    metric: str | None
    have: GapValue = Field(description="Money in minor units; ratios as fractions.")
    need: GapValue
    gap: str = Field(description="What is missing, in words.")


class OfferOut(BaseModel):
    low: int = Field(description="Minor units of `currency`.")
    high: int
    currency: str
    basis: str
    disclaimer: str


class LenderProductOut(BaseModel):
    key: str
    lender: str
    product: str
    status: Literal["eligible", "not_yet", "not_a_fit"]
    unmet: list[GapOut]
    to_confirm: list[str] = Field(description="What a lender checks that Vaultra cannot see.")
    offer: OfferOut | None = Field(description="An estimate from the published rule, not an offer.")
    offer_note: str
    sources: list[str]
    read_on: date = Field(description="When the lender's published criteria were read.")


class LenderFitOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-28",
                    "model_version": "score-3",
                    "criteria_version": "lenders-2026-11",
                    "currency": "usd",
                    "products": [
                        {
                            "key": "lighter_capital",
                            "lender": "Lighter Capital",
                            "product": "Revenue-based financing",
                            "status": "not_yet",
                            "unmet": [
                                {
                                    "criterion": "at least 15,000 USD MRR",
                                    "metric": "mrr",
                                    "have": 1240000,
                                    "need": 1500000,
                                    "gap": "MRR 12,400.00 USD of 15,000.00 USD",
                                }
                            ],
                            "to_confirm": [],
                            "offer": None,
                            "offer_note": "An estimate from the published rule for when the "
                            "unmet criteria are met, not an offer.",
                            "sources": ["https://www.lightercapital.com/"],
                            "read_on": "2026-11-26",
                        }
                    ],
                }
            ]
        }
    )
    as_of: date = Field(description="The scored day the fit was assessed on.")
    model_version: str
    criteria_version: str = Field(description="The version of the lenders' criteria applied.")
    currency: str | None
    products: list[LenderProductOut] = Field(
        description="Eligible first, then not yet (fewest gaps first), then not a fit."
    )


@router.get(
    "/businesses/{business_id}/lender-fit",
    operation_id="getLenderFit",
    response_model=LenderFitOut,
    responses=responses(401, 404, 409, 422),
    summary="Lender fit of the latest score",
)
def get_lender_fit(access: BusinessAccess, runtime: RuntimeDep) -> LenderFitOut:
    """Each lender product's status, gaps and estimate as the latest score assessed them. 409
    until the business has a score."""
    try:
        fit = runtime.dashboard.lender_fit(access)
    except NotScoredYet as exc:
        raise ApiError(409, str(exc), kind="not-scored-yet") from None
    return LenderFitOut.model_validate(dataclasses.asdict(fit))


# --- score history -------------------------------------------------------------------------------


class ScorePointOut(BaseModel):
    as_of: date
    score: int
    confidence: Confidence


class ScoreHistoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_version": "score-3",
                    "points": [
                        {"as_of": "2026-10-31", "score": 84, "confidence": "high"},
                        {"as_of": "2026-11-28", "score": 88, "confidence": "high"},
                    ],
                }
            ]
        }
    )
    model_version: str = Field(description="Scores of other model versions are not mixed in.")
    points: list[ScorePointOut] = Field(description="One per scored day, oldest first.")


@router.get(
    "/businesses/{business_id}/score-history",
    operation_id="getScoreHistory",
    response_model=ScoreHistoryOut,
    responses=responses(401, 404, 422),
    summary="The score, day by day",
)
def get_score_history(
    access: BusinessAccess,
    runtime: RuntimeDep,
    from_: Annotated[
        date | None,
        Query(alias="from", description="First day (default: a year before `to`)."),
    ] = None,
    to: Annotated[date | None, Query(description="Last day (default: the latest scored).")] = None,
) -> ScoreHistoryOut:
    """One point per scored day under the current model, at most ten years in one answer."""
    try:
        points = runtime.dashboard.score_history(access, from_, to)
    except InvalidPeriod as exc:
        raise ApiError(422, str(exc), kind="invalid-period") from None
    return ScoreHistoryOut(
        model_version=runtime.dashboard.model_version,
        points=[ScorePointOut.model_validate(dataclasses.asdict(p)) for p in points],
    )
