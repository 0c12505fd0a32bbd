"""What-if: change some metrics of the latest score and see the score, its components and the
lender fit they would give. Nothing is saved, so any member may ask — a viewer and a read-only
token included.

Each change names a metric and exactly one of `set`, `change_by` or `change_by_percent`, in the
units every answer uses: money in integer minor units, ratios as fractions (0.003 is 0.3 %),
counts as whole numbers; `change_by_percent` is relative to the current value.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from vaultra.api.deps import BusinessAccess, RuntimeDep
from vaultra.api.problems import ApiError, responses
from vaultra.api.routers.dashboard import GapOut, OfferOut
from vaultra.services.what_if import NotScoredYet, WhatIfError
from vaultra.services.what_if_input import ChangeIn

router = APIRouter(tags=["what-if"])

MAX_CHANGES = 20


class WhatIfIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "changes": [
                        {"metric": "mrr", "change_by_percent": 10},
                        {"metric": "dispute_activity_ratio_30d", "set": "0.003"},
                        {"metric": "months_of_history", "change_by": 3},
                    ]
                }
            ]
        },
    )
    changes: list[ChangeIn] = Field(min_length=1, max_length=MAX_CHANGES)


class ComponentMoveOut(BaseModel):
    key: str
    title: str
    points_before: int
    points_after: int
    max_points: int
    explanation: str = Field(description="After the changes.")


class LenderMoveOut(BaseModel):
    key: str
    lender: str
    product: str
    status_before: Literal["eligible", "not_yet", "not_a_fit"]
    status_after: Literal["eligible", "not_yet", "not_a_fit"]
    unmet: list[GapOut] = Field(description="The gaps left after the changes.")
    offer: OfferOut | None = Field(
        description="The estimate after the changes (minor units), not an offer."
    )


class InputMoveOut(BaseModel):
    metric: str
    before: int | float | str | dict[str, int] | None
    after: int | float | str | dict[str, int] | None


class WhatIfOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-28",
                    "model_version": "score-3",
                    "currency": "usd",
                    "score_before": 61,
                    "score_after": 70,
                    "score_change": 9,
                    "confidence_before": "high",
                    "confidence_after": "high",
                    "components": [
                        {
                            "key": "payment_risk",
                            "title": "Payment risk",
                            "points_before": 6,
                            "points_after": 15,
                            "max_points": 20,
                            "explanation": "Dispute activity 0.30 %, below Visa's 0.65 % "
                            "early-warning line (15 of 20).",
                        }
                    ],
                    "lender_fit": [
                        {
                            "key": "clearco",
                            "lender": "Clearco",
                            "product": "Revenue-based financing",
                            "status_before": "not_yet",
                            "status_after": "eligible",
                            "unmet": [],
                            "offer": None,
                        }
                    ],
                    "inputs_changed": [
                        {"metric": "mrr", "before": 1240000, "after": 1364000},
                        {"metric": "arr", "before": 14880000, "after": 16368000},
                    ],
                    "saved": False,
                }
            ]
        }
    )
    as_of: date = Field(description="The scored day the simulation starts from.")
    model_version: str
    currency: str | None
    score_before: int = Field(description="The latest score, as the summary shows it.")
    score_after: int
    score_change: int
    confidence_before: Literal["high", "medium", "low"]
    confidence_after: Literal["high", "medium", "low"]
    components: list[ComponentMoveOut]
    lender_fit: list[LenderMoveOut]
    inputs_changed: list[InputMoveOut] = Field(
        description="Every metric the changes moved, their dependents included (ARR follows MRR)."
    )
    saved: Literal[False] = Field(False, description="A simulation saves nothing.")


@router.post(
    "/businesses/{business_id}/what-if",
    operation_id="simulateWhatIf",
    response_model=WhatIfOut,
    responses=responses(401, 404, 409, 413, 422),
    summary="Simulate changed metrics",
)
def simulate_what_if(body: WhatIfIn, access: BusinessAccess, runtime: RuntimeDep) -> WhatIfOut:
    """The score, components and lender fit the latest score's metrics would give with the
    changes made in order (metrics that move together move together). 422 names a change that
    cannot be made; 409 until the business has a score. Saves nothing."""
    try:
        result = runtime.what_if.simulate(access, [c.typed() for c in body.changes])
    except WhatIfError as exc:
        raise ApiError(422, str(exc), kind="invalid-change") from None
    except NotScoredYet as exc:
        raise ApiError(409, str(exc), kind="not-scored-yet") from None
    return WhatIfOut(
        **dataclasses.asdict(result), score_change=result.score_after - result.score_before
    )
