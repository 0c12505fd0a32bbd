"""A what-if change as callers write it — the API's request body and the MCP tool's argument share
this one model, so both accept and refuse exactly the same input.

Each change names a metric and exactly one of `set`, `change_by` or `change_by_percent`, in the
units every answer uses: money in integer minor units, ratios as fractions (0.003 is 0.3 %),
counts as whole numbers; `change_by_percent` is relative to the current value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from vaultra.services.what_if import MetricChange

# Far beyond any real amount (10 trillion dollars in cents) and any ratio; refuses absurd input
# before it reaches arithmetic.
LIMIT = Decimal(10) ** 15
OPS = ("set", "change_by", "change_by_percent")


# A number (or a decimal string, exact): finite, at most 6 decimal places, within ±LIMIT.
Amount = Annotated[Decimal, Field(ge=-LIMIT, le=LIMIT, max_digits=24, decimal_places=6)]


class ChangeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["set"]},
                {"required": ["change_by"]},
                {"required": ["change_by_percent"]},
            ],
            "examples": [{"metric": "mrr", "change_by_percent": 10}],
        },
    )
    metric: str = Field(min_length=1, max_length=64, description="A key of the metric catalog.")
    set: Amount | SkipJsonSchema[None] = Field(None, description="The new value.")
    change_by: Amount | SkipJsonSchema[None] = Field(
        None, description="Added to the current value (signed)."
    )
    change_by_percent: Amount | SkipJsonSchema[None] = Field(
        None, description="The current value changed by this percentage of itself (signed)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ChangeIn:
        given = [op for op in OPS if getattr(self, op) is not None]
        if len(given) != 1 or len(self.model_fields_set & set(OPS)) != 1:
            raise ValueError("give exactly one of set, change_by or change_by_percent")
        return self

    def typed(self) -> MetricChange:
        op = next(op for op in OPS if getattr(self, op) is not None)
        return MetricChange(self.metric, op, getattr(self, op))  # type: ignore[arg-type]
