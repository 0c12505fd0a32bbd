"""How a metric's value reads to a person (the CLI's tables, the lender report): money with its
currency, ratios as percentages, a dash for a value the data could not give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vaultra.domain.metrics.aggregates import rate_of_millionths
from vaultra.domain.metrics.catalog import MetricDefinition
from vaultra.domain.money import format_money


def format_value(definition: MetricDefinition, value: Any, currency: str | None) -> str:
    if value is None:
        return "—"
    kind = definition.kind
    if kind == "money":
        return format_money(int(value), currency)
    if kind == "money_by_key":
        if not value:
            return "—"
        if definition.key.endswith("by_currency") or definition.key.endswith("by_currency_12m"):
            return ", ".join(format_money(int(v), k) for k, v in value.items())
        return ", ".join(f"{k}: {format_money(int(v), currency)}" for k, v in value.items())
    if kind == "rate_by_key":
        if not value:
            return "—"
        into = (currency or "").upper()
        return ", ".join(
            f"1 {k.upper()} = {rate_of_millionths(int(v)).normalize():f} {into}"
            for k, v in value.items()
        )
    if kind == "ratio":
        return f"{Decimal(value) * 100:.2f} %"
    if kind == "multiple":
        return f"{Decimal(value):.2f}×"
    if kind == "index":
        return f"{Decimal(value):,.0f}"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)
