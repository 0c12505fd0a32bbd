"""Score inputs as a person reads them."""

from __future__ import annotations

from decimal import Decimal

from vaultra.domain.money import format_money
from vaultra.domain.numbers import percent
from vaultra.domain.scoring.criteria import Number, Unit


def show(value: Number, unit: Unit, currency: str | None) -> str:
    if unit == "ratio":
        return percent(Decimal(value))
    if unit == "money":
        return format_money(int(value), currency)
    if unit == "months":
        return f"{value} months" if value != 1 else "1 month"
    if unit == "hours":
        return f"{value} hours" if value != 1 else "1 hour"
    return f"{value:,}"


def show_limit(limit: Decimal, unit: Unit, currency: str | None) -> str:
    """A band's limit in the unit a person reads: money thresholds are written in major units."""
    if unit == "ratio":
        return percent(limit)
    if unit == "money":
        return f"{limit:,.0f} {(currency or 'usd').upper()}"
    return f"{limit:,}"
