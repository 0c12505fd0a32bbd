"""The catalog, the formulas and docs/METRICS.md name the same metrics."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from vaultra.domain.metrics.aggregates import Aggregates, MonthTotals
from vaultra.domain.metrics.catalog import BY_KEY, CATALOG
from vaultra.domain.metrics.formulas import compute_metrics
from vaultra.domain.metrics.periods import MONTHS_SCANNED, Periods

from tests.support.metric_contract import REQUIRED_METRICS

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "METRICS.md"


def empty_metrics() -> dict[str, object]:
    aggregates = Aggregates("usd", tuple(MonthTotals() for _ in range(MONTHS_SCANNED)))
    return compute_metrics(aggregates, Periods(date(2026, 11, 26))).values


def test_the_formulas_produce_exactly_the_catalog() -> None:
    assert list(empty_metrics()) and set(empty_metrics()) == set(BY_KEY)
    assert len(BY_KEY) == len(CATALOG)


def test_every_metric_the_issue_requires_is_produced() -> None:
    assert set(empty_metrics()) >= REQUIRED_METRICS


def test_every_metric_is_defined_in_the_metric_policy() -> None:
    documented = set(re.findall(r"`([a-z0-9_]+)`", METRICS_DOC.read_text()))
    assert {m.key for m in CATALOG} <= documented
