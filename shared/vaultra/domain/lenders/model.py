"""What an assessment says about one lender product: its status, the gaps, an estimate.

Every value here is ready for a person and for JSON: money in integer minor units with the text
already formatted, so the CLI, the API and the agent quote the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from vaultra.domain.numbers import json_value

Status = Literal["eligible", "not_yet", "not_a_fit"]

# A gap's `have` and `need` are metric values or their units ("USD", "more than 0").
GapValue = int | Decimal | str | None

DISCLAIMER = "An estimate from the lender's published sizing rule, not an offer."


@dataclass(frozen=True)
class Gap:
    criterion: str  # "at least 9 months processing on Stripe"
    metric: str | None  # the catalogue key measured, None for what no metric holds
    have: GapValue
    need: GapValue
    text: str  # "3 more months of history"

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "metric": self.metric,
            "have": json_value(self.have),
            "need": json_value(self.need),
            "gap": self.text,
        }


@dataclass(frozen=True)
class OfferEstimate:
    low: int  # minor units of `currency`
    high: int
    currency: str
    basis: str  # the rule and the numbers it was applied to, in words

    @property
    def disclaimer(self) -> str:
        return DISCLAIMER

    def to_json(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "high": self.high,
            "currency": self.currency,
            "basis": self.basis,
            "disclaimer": self.disclaimer,
        }


@dataclass(frozen=True)
class LenderFit:
    key: str
    lender: str
    product: str
    status: Status
    unmet: tuple[Gap, ...]
    to_confirm: tuple[str, ...]
    offer: OfferEstimate | None
    offer_note: str
    sources: tuple[str, ...]
    read_on: date

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lender": self.lender,
            "product": self.product,
            "status": self.status,
            "unmet": [gap.to_json() for gap in self.unmet],
            "to_confirm": list(self.to_confirm),
            "offer": self.offer.to_json() if self.offer is not None else None,
            "offer_note": self.offer_note,
            "sources": list(self.sources),
            "read_on": self.read_on.isoformat(),
        }
