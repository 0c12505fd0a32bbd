"""From aggregates to the published metric set (docs/METRICS.md is the contract).

Everything here works on a handful of sums, never on records. The metrics the score reads come
from trailing windows ending at D or from complete calendar months, never from D's month in
progress (periods.py says why); the month-to-date metrics are published for people to read.
Arithmetic is exact (fractions) until each value is rounded once: money to a minor unit half up,
ratios to 6 decimal places half up, HHI to 2. One metric builds on another's published value: LTV
divides the published (rounded) ARPA by the exact three-month churn rate. A ratio whose
denominator is 0 is `None` and `notes` says why; it is never 0 or NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from vaultra.domain.metrics.aggregates import Aggregates
from vaultra.domain.metrics.periods import (
    MONTHS_IN_QUARTER,
    MONTHS_IN_YEAR,
    MONTHS_OF_SEASONAL_HISTORY,
    Periods,
    midnight,
    whole_months_between,
)
from vaultra.domain.mrr import round_half_up

POLICY_VERSION = "metrics-3"

SEASONALLY_ADJUSTED_CV = "revenue_volatility_cv_12m_seasonally_adjusted"
SEASONALITY_STRENGTH = "seasonality_strength_24m"

RATIO_PLACES = Decimal("0.000001")
HHI_PLACES = Decimal("0.01")

MetricValue = int | Decimal | str | dict[str, int] | None


@dataclass
class MetricSet:
    as_of_periods: Periods
    currency: str | None
    values: dict[str, MetricValue] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def null(self, key: str, reason: str) -> None:
        self.values[key] = None
        self.notes[key] = reason


def to_decimal(value: Fraction, places: Decimal = RATIO_PLACES) -> Decimal:
    """Exact fraction → decimal rounded half up to `places`."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            places, rounding=ROUND_HALF_UP
        )


def _ratio(out: MetricSet, key: str, num: int | Fraction, den: int | Fraction, why: str) -> None:
    if den == 0:
        out.null(key, why)
    else:
        out.values[key] = to_decimal(Fraction(num) / Fraction(den))


def _sixth_root_growth(end: int, start: int) -> Decimal:
    """(end ÷ start)^(1/6) − 1, to 6 places (start > 0): the compound monthly rate over six
    months."""
    return _compound_monthly_growth(end, start, 6)


def _compound_monthly_growth(end: int, start: int, months: int) -> Decimal:
    """(end ÷ start)^(1/months) − 1, to 6 places (start > 0)."""
    with localcontext() as ctx:
        ctx.prec = 50
        if end == 0:
            return Decimal(-1).quantize(RATIO_PLACES)
        growth = (Decimal(end) / Decimal(start)).ln() / months
        return (growth.exp() - 1).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _coefficient_of_variation(series: Sequence[int | Fraction]) -> Decimal | None:
    """Population standard deviation ÷ mean; None when the mean is 0."""
    mean = _mean(series)
    if mean == 0:
        return None
    variance = _variance(series, mean)
    with localcontext() as ctx:
        ctx.prec = 50
        std = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
        return (std / (Decimal(mean.numerator) / Decimal(mean.denominator))).quantize(
            RATIO_PLACES, rounding=ROUND_HALF_UP
        )


def _mean(series: Sequence[int | Fraction]) -> Fraction:
    return sum((Fraction(v) for v in series), Fraction(0)) / len(series)


def _variance(series: Sequence[int | Fraction], mean: Fraction) -> Fraction:
    """Population variance about `mean`, exact."""
    squares = sum(((Fraction(v) - mean) * (Fraction(v) - mean) for v in series), Fraction(0))
    return squares / len(series)


def _relative_variance(series: Sequence[int | Fraction]) -> Fraction:
    """Variance ÷ mean², the squared coefficient of variation, exact (mean > 0)."""
    mean = _mean(series)
    return _variance(series, mean) / (mean * mean)


def seasonal_indices(year: Sequence[int]) -> tuple[Fraction, ...]:
    """Each month of a year of monthly volumes ÷ that year's monthly mean: the multiplicative
    seasonal index of its calendar month (1 an average month, 2.5 two and a half times one). The
    indices average 1, as a classical decomposition normalizes them. Every month must have sales
    (an index of 0 divides nothing); the caller says why when one has none."""
    total = sum(year)
    return tuple(Fraction(len(year) * volume, total) for volume in year)


def seasonally_adjusted(months: Sequence[int], indices: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Each month divided by the seasonal index of its calendar month (multiplicative
    decomposition: seasonally adjusted = y ÷ S)."""
    return tuple(Fraction(volume) / index for volume, index in zip(months, indices, strict=True))


def seasonality_strength(months: Sequence[int], adjusted: Sequence[Fraction]) -> Fraction | None:
    """How much of the months' relative variation the seasonal pattern accounts for:
    max(0, 1 − CV²(adjusted) ÷ CV²(months)), Hyndman's strength of seasonality
    (1 − Var(remainder) ÷ Var(seasonal + remainder)) on variation relative to the year's level.
    1 when adjusting leaves no variation, 0 when it leaves as much or more (the pattern did not
    repeat). None when the months do not vary (nothing to explain) or have no volume."""
    if sum(months) == 0:
        return None
    raw = _relative_variance(months)
    if raw == 0:
        return None
    return max(Fraction(0), 1 - _relative_variance(adjusted) / raw)


def compute_metrics(agg: Aggregates, periods: Periods) -> MetricSet:
    out = MetricSet(periods, agg.currency)
    v = out.values
    _mrr_metrics(out, agg)
    _revenue_metrics(out, agg, periods)
    _risk_metrics(out, agg)
    _concentration_metrics(out, agg)
    first = agg.first_charge
    if first is None:
        v["months_of_history"] = 0
        out.notes["months_of_history"] = "no succeeded charge up to the end of D"
    else:
        v["months_of_history"] = whole_months_between(first.astimezone(UTC).date(), periods.as_of)
    through = agg.data_through
    v["data_through"] = (
        through.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if through is not None else None
    )
    if through is None:
        out.notes["data_through"] = "no Stripe event or object up to the end of D"
    # Data is as fresh as the last time Vaultra heard from Stripe, not as the last sale: a quiet
    # week is not a broken connection. An object's time bounds its sync from below, and outlives
    # the raw events' retention.
    synced = max((t for t in (agg.last_synced, through) if t is not None), default=None)
    v["last_synced_at"] = (
        synced.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if synced is not None else None
    )
    if synced is None:
        out.notes["last_synced_at"] = "nothing received from Stripe up to the end of D"
    if agg.currency is None:
        out.notes["currency"] = (
            "the account's currency is unknown: no balance transaction, charge or subscription yet"
        )
    return out


def _mrr_metrics(out: MetricSet, agg: Aggregates) -> None:
    v, m, mv = out.values, agg.mrr, agg.mrr.movements
    v["mrr"] = m.mrr_end
    v["arr"] = m.mrr_end * 12
    v["paying_customers"] = m.paying_end
    if m.paying_end == 0:
        out.null("arpa", "no paying customers at the end of D")
    else:
        v["arpa"] = round_half_up(Fraction(m.mrr_end, m.paying_end))
    v["mrr_new"] = mv.new
    v["mrr_expansion"] = mv.expansion
    v["mrr_contraction"] = mv.contraction
    v["mrr_churn"] = mv.churn
    v["mrr_reactivation"] = mv.reactivation
    v["mrr_previous_month_end"] = m.mrr_month_start
    no_start = "no MRR at the end of the previous month"
    _ratio(out, "mrr_growth_mom", m.mrr_end - m.mrr_month_start, m.mrr_month_start, no_start)
    v["mrr_30_days_before"] = m.mrr_rolling_month_start
    _ratio(
        out,
        "mrr_growth_30d",
        m.mrr_end - m.mrr_rolling_month_start,
        m.mrr_rolling_month_start,
        "no MRR 30 days before the end of D",
    )
    v["mrr_180_days_before"] = m.mrr_half_year_start
    if m.mrr_half_year_start == 0:
        out.null("mrr_cmgr_6m", "no MRR 180 days before the end of D")
    else:
        v["mrr_cmgr_6m"] = _sixth_root_growth(m.mrr_end, m.mrr_half_year_start)
    v["customers_churned_month"] = m.churned_month
    _ratio(
        out,
        "customer_churn_rate",
        m.churned_month,
        m.paying_month_start,
        "no paying customers at the end of the previous month",
    )
    _ratio(out, "gross_mrr_churn_rate", mv.churn + mv.contraction, m.mrr_month_start, no_start)
    _ratio(
        out,
        "net_mrr_churn_rate",
        mv.churn + mv.contraction - mv.expansion - mv.reactivation,
        m.mrr_month_start,
        no_start,
    )
    _ratio(
        out,
        "quick_ratio",
        mv.new + mv.expansion + mv.reactivation,
        mv.churn + mv.contraction,
        "no churn or contraction in the month",
    )
    no_base = "no MRR twelve months before D"
    _ratio(out, "nrr_12m", m.retained_mrr, m.mrr_year_earlier, no_base)
    _ratio(out, "grr_12m", m.retained_mrr_capped, m.mrr_year_earlier, no_base)
    starting, churned_3m = sum(m.starting_3m), sum(m.churned_3m)
    if starting == 0:
        out.null(
            "customer_churn_rate_3m",
            "no paying customers at the start of the 3 complete months before D's month",
        )
    else:
        v["customer_churn_rate_3m"] = to_decimal(Fraction(churned_3m, starting))
    if m.paying_end == 0:
        out.null("ltv", "no paying customers at the end of D")
    elif churned_3m == 0:
        out.null("ltv", "no customer churned in the 3 complete months: lifetime is unbounded")
    else:
        arpa = round_half_up(Fraction(m.mrr_end, m.paying_end))
        v["ltv"] = round_half_up(arpa / Fraction(churned_3m, starting))
    v["mrr_by_currency"] = dict(sorted(m.mrr_by_currency.items()))
    into = agg.currency or ""
    v["fx_rates_12m"] = {c: agg.rates[c].millionths(c, into) for c in sorted(agg.rates)}
    if agg.rates:
        out.notes["fx_rates_12m"] = "; ".join(
            f"{c.upper()}: the rate Stripe applied on "
            f"{agg.rates[c].at.astimezone(UTC).date().isoformat()}"
            for c in sorted(agg.rates)
        )
    others = sorted(c for c, amount in m.mrr_by_currency.items() if c != agg.currency and amount)
    said = [_converted(c, agg) for c in others if c in agg.rates]
    left_out = [c for c in others if c not in agg.rates]
    if left_out:
        said.append(
            f"subscriptions billed in {', '.join(c.upper() for c in left_out)} are not in mrr: "
            "no sale in that currency settled in the account's in the 12 months, so no rate "
            "Stripe applied; see mrr_by_currency"
        )
    if said:
        out.notes["mrr"] = "; ".join(said)
    if m.unpriced_subscriptions:
        out.notes["mrr"] = (
            out.notes.get("mrr", "")
            + ("; " if "mrr" in out.notes else "")
            + f"{m.unpriced_subscriptions} subscription(s) have items without a unit price "
            "(tiered pricing) and no recent invoice line for them, counted as 0"
        )


def _converted(currency: str, agg: Aggregates) -> str:
    """How subscriptions billed in a foreign currency were converted: the rate and its date."""
    rate, into = agg.rates[currency], agg.currency or ""
    return (
        f"subscriptions billed in {currency.upper()} are converted at the rate Stripe applied on "
        f"{rate.at.astimezone(UTC).date().isoformat()} (1 {currency.upper()} = "
        f"{rate.per_unit(currency, into).normalize():f} {into.upper()})"
    )


def _revenue_metrics(out: MetricSet, agg: Aggregates, periods: Periods) -> None:
    v = out.values
    scanned = [month.gross for month in agg.months]
    shown, complete = scanned[1:], scanned[:-1]  # ending with D's month; before it
    last, before_last, six_before = complete[-1], complete[-2], complete[-7]
    v["gross_volume_month"] = shown[-1]
    v["gross_volume_12m"] = agg.gross_12m
    v["gross_volume_90d"] = agg.gross_90d
    v["gross_volume_by_month_12m"] = {
        f"{m.year:04d}-{m.month:02d}": g for m, g in zip(periods.series_months, shown, strict=True)
    }
    v["gross_volume_by_currency_12m"] = dict(sorted(agg.volume_by_currency_12m.items()))
    v["refunded_amount_month"] = agg.refunded_month
    v["disputed_amount_month"] = agg.disputed_amount_month
    v["net_volume_month"] = (
        shown[-1] - agg.refunded_month - agg.disputed_amount_month + agg.disputes_won_month_amount
    )
    _ratio(
        out,
        "revenue_growth_mom",
        last - before_last,
        before_last,
        "no gross volume in the month before the last complete month",
    )
    if six_before == 0:
        out.null("cmgr_6m", "no gross volume six months before the last complete month")
    else:
        v["cmgr_6m"] = _sixth_root_growth(last, six_before)
    _year_on_year(out, agg, periods, sum(complete[-MONTHS_IN_QUARTER:]))
    cv = _coefficient_of_variation(complete)
    if cv is None:
        out.null("revenue_volatility_cv_12m", "no gross volume in the 12 complete months")
    else:
        v["revenue_volatility_cv_12m"] = cv
    _seasonality(out, agg, periods, complete)
    # By count, not by amount: a charge without a settled amount has no value in the reporting
    # currency to weigh it by, and adding native amounts across currencies adds yen to cents.
    _ratio(
        out,
        "currency_coverage_12m",
        agg.charges_12m - agg.unconverted_12m,
        agg.charges_12m,
        "no charges in the 12 months",
    )
    if agg.unconverted_12m:
        out.notes["gross_volume_12m"] = (
            f"{agg.unconverted_12m} charge(s) in another currency have no settled amount yet and "
            "are left out"
        )


def _year_on_year(out: MetricSet, agg: Aggregates, periods: Periods, quarter: int) -> None:
    """The last three complete months against the same three a year earlier: growth with the
    season taken out, since both quarters sit at the same point of the year."""
    v = out.values
    base = agg.gross_quarter_year_earlier
    v["gross_volume_3m"] = quarter
    v["gross_volume_3m_year_earlier"] = base
    first = agg.first_charge
    if first is None or first >= periods.quarter_year_earlier[0]:
        why = "no sales before the same three months a year earlier: no whole year to compare"
        out.null("revenue_growth_yoy", why)
        out.null("cmgr_yoy", why)
    elif base == 0:
        why = "no gross volume in the same three months a year earlier"
        out.null("revenue_growth_yoy", why)
        out.null("cmgr_yoy", why)
    else:
        v["revenue_growth_yoy"] = to_decimal(Fraction(quarter - base, base))
        v["cmgr_yoy"] = _compound_monthly_growth(quarter, base, MONTHS_IN_YEAR)


def _seasonality(out: MetricSet, agg: Aggregates, periods: Periods, complete: list[int]) -> None:
    """Volatility with the season taken out: each of the 12 complete months divided by the
    seasonal index of its calendar month, read from the year before them. The pattern comes from
    the earlier year only, so a month is adjusted by what happened a year before, never by itself:
    a shop whose peak repeats reads steady, one whose swings do not repeat keeps them."""
    v = out.values
    year = agg.gross_year_earlier_by_month
    first = agg.first_charge
    empty = [
        f"{m.year:04d}-{m.month:02d}"
        for m, volume in zip(periods.year_earlier_months, year, strict=True)
        if volume == 0
    ]
    why = ""
    if first is None or first >= midnight(periods.year_earlier_months[0]):
        why = (
            f"fewer than {MONTHS_OF_SEASONAL_HISTORY} complete months of sales: no whole year "
            "before the 12 complete months to read the seasonal pattern from"
        )
    elif sum(year) == 0:
        why = "no gross volume in the 12 months before the 12 complete months"
    elif empty:
        why = (
            f"no gross volume in {', '.join(empty)}, a year before the 12 complete months: a "
            "month without sales has no seasonal index to divide by"
        )
    elif sum(complete) == 0:
        why = "no gross volume in the 12 complete months"
    if why:
        out.null(SEASONALLY_ADJUSTED_CV, why)
        out.null(SEASONALITY_STRENGTH, why)
        return
    adjusted = seasonally_adjusted(complete, seasonal_indices(year))
    v[SEASONALLY_ADJUSTED_CV] = _coefficient_of_variation(adjusted)
    strength = seasonality_strength(complete, adjusted)
    if strength is None:
        out.null(
            SEASONALITY_STRENGTH,
            "the 12 complete months do not vary: there is no variation for a pattern to explain",
        )
    else:
        v[SEASONALITY_STRENGTH] = to_decimal(strength)


def _risk_metrics(out: MetricSet, agg: Aggregates) -> None:
    v = out.values
    this_month, last_month = agg.months[-1], agg.months[-2]
    v["disputes_count_30d"] = agg.disputes_30d
    v["charges_count_30d"] = agg.charges_30d
    v["disputes_count_90d"] = agg.disputes_90d
    v["charges_count_90d"] = agg.charges_90d
    _ratio(
        out,
        "dispute_activity_ratio_30d",
        agg.disputes_30d,
        agg.charges_30d,
        "no succeeded charges in the 30 days ending at D",
    )
    _ratio(
        out,
        "refund_rate_90d",
        agg.refunded_90d,
        agg.gross_90d,
        "no gross volume in the 90 days ending at D",
    )
    v["disputes_count_month"] = agg.disputes_month
    v["inquiries_count_month"] = agg.inquiries_month
    v["charges_count_month"] = this_month.charges
    _ratio(
        out,
        "dispute_activity_ratio_month",
        agg.disputes_month,
        this_month.charges,
        "no succeeded charges in the month",
    )
    _ratio(
        out,
        "dispute_activity_ratio_mastercard_month",
        agg.disputes_month,
        last_month.charges,
        "no succeeded charges in the previous month",
    )
    _ratio(
        out,
        "dispute_activity_ratio_90d",
        agg.disputes_90d,
        agg.charges_90d,
        "no succeeded charges in the 90 days ending at D",
    )
    settled = agg.payouts_paid_90d + agg.payouts_failed_90d
    v["payouts_failed_90d"] = agg.payouts_failed_90d
    _ratio(
        out,
        "payout_failure_rate_90d",
        agg.payouts_failed_90d,
        settled,
        "no paid or failed payout arriving in the 90 days ending at D",
    )
    v["payout_paid_streak"] = agg.payout_paid_streak
    failure = agg.last_payout_failure
    v["last_payout_failure_at"] = (
        failure.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if failure is not None else None
    )
    if agg.unconverted_refunds:
        out.notes["refunded_amount_month"] = (
            f"{agg.unconverted_refunds} refund(s) in another currency have no settled amount yet "
            "and are left out"
        )
    if agg.unconverted_disputes:
        out.notes["disputed_amount_month"] = (
            f"{agg.unconverted_disputes} dispute(s) in another currency have no settled amount "
            "yet and are left out"
        )


def _concentration_metrics(out: MetricSet, agg: Aggregates) -> None:
    total = agg.gross_12m
    v = out.values
    v["customers_12m"] = agg.customers_12m
    v["repeat_customers_12m"] = agg.repeat_buyers_12m
    no_buyers = "no purchase by a known customer in the 12 months ending at D"
    _ratio(out, "repeat_purchase_rate_12m", agg.repeat_buyers_12m, agg.buyers_12m, no_buyers)
    if total == 0:
        why = "no gross volume in the 12 months ending at D"
        for key in (
            "top_customer_share_12m",
            "top5_customer_share_12m",
            "hhi_12m",
            "repeat_customer_revenue_share_12m",
        ):
            out.null(key, why)
        return
    v["top_customer_share_12m"] = to_decimal(Fraction(agg.top1_12m, total))
    if agg.buyers_12m == 0:  # guests only: whether they came back is unknown, not "never"
        out.null("repeat_customer_revenue_share_12m", no_buyers)
    else:
        v["repeat_customer_revenue_share_12m"] = to_decimal(Fraction(agg.repeat_volume_12m, total))
    v["top5_customer_share_12m"] = to_decimal(Fraction(agg.top5_12m, total))
    v["hhi_12m"] = to_decimal(Fraction(10_000 * agg.sum_squares_12m, total * total), HHI_PLACES)
