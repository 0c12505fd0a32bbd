"""The sums and counts every metric is derived from.

The ledger query computes these in PostgreSQL; the reference implementation computes them from
in-memory records. Both must agree exactly: this is the seam the property tests check. Money is in
minor units of `currency`; a charge, refund or dispute in another currency counts with its settled
amount, or is left out and counted in an `unconverted_*` field when it has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from vaultra.domain.metrics.periods import MONTHS_IN_QUARTER, MONTHS_IN_YEAR
from vaultra.domain.money import minor_units_per_unit
from vaultra.domain.mrr import round_half_up

# `fx_rates_12m` holds each rate as an integer number of millionths (1 EUR = 1.085 USD → 1,085,000):
# metric values are integers, decimals or strings, and a rate keyed by currency is a dict of them.
RATE_MILLIONTHS = 1_000_000


def rate_of_millionths(millionths: int) -> Decimal:
    return Decimal(millionths) / RATE_MILLIONTHS


@dataclass(frozen=True)
class SettlementRate:
    """The rate Stripe applied to the latest sale in a foreign currency, of the 12 months ending at
    D, that settled into the account's currency: `settled` minor units of the account currency for
    `native` minor units of the foreign one (that sale's balance transaction and amount), at `at`
    (the sale's time)."""

    settled: int
    native: int
    at: datetime

    def per_unit(self, currency: str, into: str) -> Decimal:
        """The rate as people read it: units of `into` (the account's currency) for one unit of
        `currency`, to six decimal places."""
        exact = Fraction(self.settled * minor_units_per_unit(currency), self.native)
        exact /= minor_units_per_unit(into)
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.000001"), ROUND_HALF_UP
        )

    def millionths(self, currency: str, into: str) -> int:
        """`per_unit` as `fx_rates_12m` stores it."""
        return int(self.per_unit(currency, into) * RATE_MILLIONTHS)

    def convert(self, amount: int) -> int:
        """`amount` minor units of the foreign currency in the account's, exactly at this rate,
        then rounded half up (as a subscription's MRR is, before any summing)."""
        return round_half_up(Fraction(amount * self.settled, self.native))


@dataclass(frozen=True)
class MrrMovements:
    new: int = 0
    expansion: int = 0
    contraction: int = 0
    churn: int = 0
    reactivation: int = 0


@dataclass(frozen=True)
class MrrAggregates:
    """Customer-level MRR at the instants the metrics need (sums over customers)."""

    mrr_end: int = 0  # end of D
    mrr_month_start: int = 0  # end of the previous month
    mrr_rolling_month_start: int = 0  # 30 days before the end of D (the start of D − 29)
    mrr_half_year_start: int = 0  # 180 days before the end of D (the start of D − 179)
    paying_end: int = 0
    paying_month_start: int = 0
    churned_month: int = 0  # paying at the end of the previous month, not at the end of D
    movements: MrrMovements = field(default_factory=MrrMovements)
    # Customers paying at the start of each of the three complete months before D's month (oldest
    # first) and how many of them pay nothing at that month's end.
    starting_3m: tuple[int, int, int] = (0, 0, 0)
    churned_3m: tuple[int, int, int] = (0, 0, 0)
    # Twelve months earlier: total MRR, and what the customers paying then pay at the end of D
    # (uncapped for NRR, capped at their old MRR for GRR).
    mrr_year_earlier: int = 0
    retained_mrr: int = 0
    retained_mrr_capped: int = 0
    # Native-currency MRR at the end of D of every currency, converted or not.
    mrr_by_currency: dict[str, int] = field(default_factory=dict)
    # Subscriptions contributing at the end of D with an item that has no unit price (tiered).
    unpriced_subscriptions: int = 0


@dataclass(frozen=True)
class MonthTotals:
    gross: int = 0  # succeeded, captured charges created in the month (settled amounts)
    charges: int = 0  # their count, whatever their currency
    unconverted: int = 0  # charges without a settled amount in the account currency


@dataclass(frozen=True)
class Aggregates:
    currency: str | None
    # The 13 calendar months ending with D's month, oldest first: the 12 complete months before
    # D's month, then D's month up to D (periods.MONTHS_SCANNED).
    months: tuple[MonthTotals, ...]
    gross_12m: int = 0  # the 12 months ending at D (settled amounts)
    # The 12 calendar months before the complete months, oldest first (periods.year_earlier_months;
    # settled amounts): the year the seasonal pattern is read from.
    gross_year_earlier_by_month: tuple[int, ...] = (0,) * MONTHS_IN_YEAR
    unconverted_12m: int = 0  # charges of those 12 months without a settled amount
    charges_12m: int = 0  # every charge of those 12 months, converted or not
    gross_90d: int = 0
    charges_90d: int = 0
    charges_30d: int = 0
    refunded_month: int = 0
    refunded_90d: int = 0
    unconverted_refunds: int = 0
    disputes_month: int = 0
    disputed_amount_month: int = 0
    disputes_won_month_amount: int = 0  # disputes closed as won in the month
    disputes_90d: int = 0
    disputes_30d: int = 0
    inquiries_month: int = 0
    unconverted_disputes: int = 0
    payouts_paid_90d: int = 0
    payouts_failed_90d: int = 0
    payout_paid_streak: int = 0  # paid payouts arrived since the last failed one (≤ D)
    last_payout_failure: datetime | None = None
    # Paying parties of the 12 months ending at D (a charge without a customer is one).
    customers_12m: int = 0
    top1_12m: int = 0
    top5_12m: int = 0
    sum_squares_12m: int = 0  # Σ over parties of volume²
    # Customers (with a Stripe customer) who bought in the 12 months ending at D, those of them
    # who bought twice or more (every succeeded charge counts, converted or not), and the latter's
    # volume (settled amounts).
    buyers_12m: int = 0
    repeat_buyers_12m: int = 0
    repeat_volume_12m: int = 0
    volume_by_currency_12m: dict[str, int] = field(default_factory=dict)
    first_charge: datetime | None = None
    data_through: datetime | None = None
    # The latest webhook received or import completed before the end of D (not the objects'
    # times: `last_synced_at` is the later of the two).
    last_synced: datetime | None = None
    # Per foreign currency, the rate Stripe applied to its latest sale settled into `currency`:
    # subscriptions billed in it are converted at that rate (docs/METRICS.md, "Currencies").
    rates: dict[str, SettlementRate] = field(default_factory=dict)
    mrr: MrrAggregates = field(default_factory=MrrAggregates)

    @property
    def gross_quarter_year_earlier(self) -> int:
        """The three complete months before D's month, a year earlier: the last three months of
        the year before the complete months (the year-on-year base)."""
        return sum(self.gross_year_earlier_by_month[-MONTHS_IN_QUARTER:])
