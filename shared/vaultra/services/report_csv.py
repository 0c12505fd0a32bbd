"""The lender report's CSV: one row per metric, one column per month end (and the report's day),
so a spreadsheet shows each metric's trend and its definition side by side.

Values are as stored: money in integer minor units of the report's currency, ratios as decimals
(0.05 is 5 %), timestamps in UTC ISO 8601, an empty cell where the data could not give a value.
The readiness score and its components follow the metrics, on the days that were scored.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from vaultra.domain.metrics.catalog import CATALOG, MetricDefinition
from vaultra.services.report_content import ReportContent

# Twelve months in one value: the `gross_volume_month` row already shows them month by month.
SKIPPED = frozenset({"gross_volume_by_month_12m"})
HEADER = ("metric", "group", "unit", "definition")


def unit(definition: MetricDefinition, currency: str | None) -> str:
    money = f"minor units of {currency.upper()}" if currency else "minor units"
    return {
        "money": money,
        "money_by_key": "minor units of the currency named",
        "rate_by_key": "millionths of the reporting currency per unit of the currency named",
        "ratio": "ratio (0.05 = 5 %)",
        "multiple": "multiple",
        "count": "count",
        "index": "index (0 to 10,000)",
        "timestamp": "UTC ISO 8601",
    }[definition.kind]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_csv(content: ReportContent) -> bytes:
    days = [run.as_of for run in content.runs]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*HEADER, *(day.isoformat() for day in days)])
    for definition in CATALOG:
        if definition.key in SKIPPED:
            continue
        values = [run.values.get(definition.key) for run in content.runs]
        if definition.kind in ("money_by_key", "rate_by_key"):
            keys = sorted({k for v in values if isinstance(v, dict) for k in v})
            for key in keys:
                writer.writerow(
                    [
                        f"{definition.key}[{key}]",
                        definition.group,
                        f"minor units of {key.upper()}"
                        if definition.kind == "money_by_key"
                        else unit(definition, content.currency),
                        definition.meaning,
                        *(_cell(v.get(key) if isinstance(v, dict) else None) for v in values),
                    ]
                )
            continue
        writer.writerow(
            [
                definition.key,
                definition.group,
                unit(definition, content.currency),
                definition.meaning,
                *(_cell(v) for v in values),
            ]
        )
    _score_rows(writer, content, days)
    return out.getvalue().encode("utf-8")


def _score_rows(writer: Any, content: ReportContent, days: list[Any]) -> None:
    model = content.versions.model
    scores = dict(content.month_scores)
    scores[content.as_of] = content.score.score
    writer.writerow(
        [
            "readiness_score",
            "Readiness",
            "points (0 to 100)",
            f"Vaultra's readiness score of the day (model {model})",
            *(_cell(scores.get(day)) for day in days),
        ]
    )
    for component in content.score.components:
        by_day = content.month_points.get(component["key"], {})
        by_day = {**by_day, content.as_of: component["points"]}
        writer.writerow(
            [
                f"score_component.{component['key']}",
                "Readiness",
                f"points (0 to {component['max_points']})",
                component["title"],
                *(_cell(by_day.get(day)) for day in days),
            ]
        )
