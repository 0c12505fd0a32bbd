"""How a metric's value reads to a person (the CLI's tables, the lender report)."""

from __future__ import annotations

from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.display import format_value


def test_rates_read_as_one_unit_of_each_currency_in_the_reporting_one() -> None:
    # 1,085,000 millionths = 1.085; 6,712 millionths = 0.006712
    rates = {"eur": 1_085_000, "jpy": 6_712}

    shown = format_value(BY_KEY["fx_rates_12m"], rates, "usd")

    assert shown == "1 EUR = 1.085 USD, 1 JPY = 0.006712 USD"
    assert format_value(BY_KEY["fx_rates_12m"], {}, "usd") == "—"  # no foreign sale settled
