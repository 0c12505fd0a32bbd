"""Money as integer minor units plus an ISO currency: how to show it to a person."""

from __future__ import annotations

# Currencies whose minor unit is the unit itself (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def minor_units_per_unit(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 1
    if currency in THREE_DECIMAL:
        return 1000
    return 100


def format_money(amount: int, currency: str | None) -> str:
    """`1234567, "usd"` → `12,345.67 USD`; without a currency, the bare minor units."""
    if currency is None:
        return f"{amount:,}"
    per_unit = minor_units_per_unit(currency)
    places = len(str(per_unit)) - 1
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), per_unit)
    text = f"{whole:,}" + (f".{part:0{places}d}" if places else "")
    return f"{sign}{text} {currency.upper()}"
