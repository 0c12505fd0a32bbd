"""Metric values as they are stored (JSON) and read back (typed as the domain uses them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.formulas import MetricSet, MetricValue


@dataclass(frozen=True)
class StoredMetrics:
    """A saved metric set: what scoring reads, exactly as the metric run left it."""

    values: dict[str, MetricValue]
    notes: dict[str, str]
    currency: str | None
    computed_at: datetime

    @classmethod
    def of(cls, metrics: MetricSet, computed_at: datetime) -> StoredMetrics:
        return cls(dict(metrics.values), dict(metrics.notes), metrics.currency, computed_at)


def from_json(key: str, value: Any) -> MetricValue:
    """A metric value read back from JSON: ratios, multiples and indexes are decimals again."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int) and key in BY_KEY and BY_KEY[key].kind in ("ratio", "multiple"):
        return Decimal(value)
    return value
