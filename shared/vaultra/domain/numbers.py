"""How the domain reads and shows numbers: a metric value as a number, a ratio as a percentage,
a decimal as JSON. One place, so the score, the lender fit and the alerts read and word a value
the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any


def as_number(value: object) -> Decimal | None:
    """A metric value that is a number (int or Decimal, never a bool) as a Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def as_int(value: object) -> int | None:
    """An integer metric, or None for unknown (and for a value of the wrong kind)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def percent(value: Decimal) -> str:
    """0.0125 → "1.25 %"; never rounded, so a ratio just under a line never reads as on it
    (metric ratios carry 6 places, 4 once a percentage)."""
    whole, _, places = f"{value * 100:.4f}".partition(".")
    return f"{whole}.{places.rstrip('0').ljust(2, '0')} %"


def json_value(value: Any) -> Any:
    """A value as JSON: decimals as numbers, everything else as is."""
    if isinstance(value, Decimal):
        return float(value)  # 6 decimal places survive float's shortest round-trip repr
    return value


def highest(values: Mapping[str, object], keys: Iterable[str]) -> Decimal | None:
    """The highest of the numbers under `keys` (unknown ones left out); None if none is known."""
    known = [n for key in keys if (n := as_number(values.get(key))) is not None]
    return max(known) if known else None
