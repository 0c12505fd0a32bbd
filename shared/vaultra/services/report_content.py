"""What a lender report says, gathered from stored rows only (the latest score, its day's metric
run and the month ends before it): the PDF, the CSV and the share page all read this one value,
and its `summary()` is what the report row keeps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vaultra.db.reports import StoredRun, StoredScore
from vaultra.domain.lenders.model import DISCLAIMER

# Said on every page of a report and on every share page.
NOT_AN_OFFER = (
    "Estimates are not offers: lender fit and amounts follow each lender's published criteria "
    "and sizing rules; only a lender makes an offer."
)
MONTHS = 12


@dataclass(frozen=True)
class Versions:
    model: str
    metrics_policy: str
    lender_criteria: str


@dataclass(frozen=True)
class ReportContent:
    business_id: uuid.UUID
    business_name: str
    score: StoredScore
    runs: list[StoredRun]  # month ends, oldest first, then the score's day
    history: dict[date, tuple[int, list[Any]]]  # the score and components of scored days
    generated_at: datetime

    @property
    def as_of(self) -> date:
        return self.score.as_of

    @property
    def currency(self) -> str | None:
        return self.score.currency

    @property
    def month_scores(self) -> dict[date, int]:
        return {day: score for day, (score, _) in self.history.items()}

    @property
    def month_points(self) -> dict[str, dict[date, int]]:
        """Each component's points on each scored day."""
        points: dict[str, dict[date, int]] = {}
        for day, (_, components) in self.history.items():
            for component in components:
                points.setdefault(component["key"], {})[day] = component["points"]
        return points

    @property
    def period_start(self) -> date:
        """The first day of the oldest month the report shows."""
        return self.runs[0].as_of.replace(day=1) if self.runs else self.as_of

    @property
    def latest(self) -> StoredRun | None:
        return next((run for run in reversed(self.runs) if run.as_of == self.as_of), None)

    @property
    def data_through(self) -> str | None:
        latest = self.latest
        value = latest.values.get("data_through") if latest else None
        return str(value) if value is not None else None

    @property
    def last_synced_at(self) -> str | None:
        """When Stripe was last heard from as of the report's day: its data's freshness."""
        latest = self.latest
        value = latest.values.get("last_synced_at") if latest else None
        return str(value) if value is not None else None

    @property
    def versions(self) -> Versions:
        return Versions(
            self.score.model_version,
            self.score.metrics_policy_version,
            self.score.lender_criteria_version,
        )

    def summary(self) -> dict[str, Any]:
        """The report in JSON: kept with the report row, served on its share page."""
        return {
            "business_name": self.business_name,
            "as_of": self.as_of.isoformat(),
            "period": {"start": self.period_start.isoformat(), "end": self.as_of.isoformat()},
            "data_through": self.data_through,
            "last_synced_at": self.last_synced_at,
            "currency": self.currency,
            "score": self.score.score,
            "confidence": self.score.confidence,
            "components": [
                {
                    "key": c["key"],
                    "title": c["title"],
                    "points": c["points"],
                    "max_points": c["max_points"],
                    "explanation": c["explanation"],
                }
                for c in self.score.components
            ],
            "lender_fit": [
                {
                    "lender": f["lender"],
                    "product": f["product"],
                    "status": f["status"],
                    "gaps": [gap["gap"] for gap in f.get("unmet", [])],
                    "offer": f.get("offer"),
                }
                for f in self.score.lender_fit
            ],
            "versions": {
                "model": self.versions.model,
                "metrics_policy": self.versions.metrics_policy,
                "lender_criteria": self.versions.lender_criteria,
            },
            "disclaimer": NOT_AN_OFFER,
            "offer_disclaimer": DISCLAIMER,
        }
