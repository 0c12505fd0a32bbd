"""The readiness model `score-3`: components, their criteria, bands and weights, as data.

docs/SCORING.md gives every number here its rationale and source, and says which are Vaultra's own
judgement. Changing any weight, band, ceiling or the metric a criterion reads is a new
MODEL_VERSION: stored scores keep theirs. Every metric read here comes from a trailing window
ending at the scored day or from complete calendar months (metric policy `metrics-3`), so a score
never moves because a month began.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from vaultra.domain.metrics.formulas import SEASONALLY_ADJUSTED_CV
from vaultra.domain.numbers import highest
from vaultra.domain.scoring.criteria import (
    Band,
    CountMinimums,
    Criterion,
    Line,
    counted_values,
    established_values,
)

MODEL_VERSION = "score-3"


@dataclass(frozen=True)
class Component:
    key: str
    title: str
    criteria: tuple[Criterion, ...]

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.criteria)


@dataclass(frozen=True)
class Ceiling:
    """A knock-out a lender applies whatever else is good: the score is held at `cap` while the
    worst of `metrics`, as criterion `reads_as` counts them, is at or above `at_least`."""

    key: str
    metrics: tuple[str, ...]
    at_least: Decimal
    cap: int
    reason: str
    reads_as: str  # the criterion whose count minimums apply to `metrics`


def _b(limit: str | int, points: int, meaning: str) -> Band:
    return Band(Decimal(limit), points, meaning)


def _pct(percent: str) -> Decimal:
    return Decimal(percent) / 100


# The rolling month (30 days) stands in for the networks' calendar month: its denominator is
# never a few hours of sales, which a month only days old would be.
DISPUTE_METRICS = ("dispute_activity_ratio_30d", "dispute_activity_ratio_90d")


def dispute_activity(inputs: Mapping[str, object]) -> Decimal | None:
    """Dispute activity as measured: the worse of the 30 and the 90 days' ratios, whatever the
    count (alerts warn on it; the score reads it through `DISPUTE_MINIMUMS`)."""
    return highest(inputs, DISPUTE_METRICS)


EARLY_WARNING = _pct("0.65")  # Visa VDMP early warning (Nuvei risk guide)
VDMP_STANDARD = _pct("0.9")
VAMP_EXCESSIVE = _pct("1.5")  # Visa VAMP merchant "excessive" from 1 April 2026
VDMP_EXCESSIVE = _pct("1.8")
# Fewer disputes than this in 90 days are no pattern: one dispute on 20 payments is 5 %.
# Vaultra's judgement (docs/SCORING.md, "Small numbers").
FEW_DISPUTES_90D = 3

# The month's lines count as the networks' programmes draw them, each with its count minimum:
# Visa's legacy VDMP tiers (early warning 0.65 % and 75 disputes, standard 0.9 % and 100,
# excessive 1.8 % and 1,000; Nuvei risk guide) and VAMP (1.5 % and 1,500 a month; Antom). The 90
# days stand for the sustained activity Stripe and a lender read whatever the programmes: their
# lines count from FEW_DISPUTES_90D disputes.
DISPUTE_MINIMUMS = (
    (
        "dispute_activity_ratio_30d",
        CountMinimums(
            "disputes_count_30d",
            (
                Line(EARLY_WARNING, 75),
                Line(VDMP_STANDARD, 100),
                Line(VAMP_EXCESSIVE, 1500),
                Line(VDMP_EXCESSIVE, 1000),
            ),
            "Visa's programmes count a month's ratio only from 75 disputes (VDMP) and 1,500 (VAMP)",
            ("dispute", "disputes"),
        ),
    ),
    (
        "dispute_activity_ratio_90d",
        CountMinimums(
            "disputes_count_90d",
            tuple(
                Line(limit, FEW_DISPUTES_90D)
                for limit in (EARLY_WARNING, VDMP_STANDARD, VAMP_EXCESSIVE, VDMP_EXCESSIVE)
            ),
            f"fewer than {FEW_DISPUTES_90D} disputes in 90 days make no pattern",
            ("dispute", "disputes"),
        ),
    ),
)

# Retention where there are no subscriptions (no MRR, so no churn or NRR to measure): do customers
# come back? Each stands in for the subscription criterion of the same weight.
REPEAT_PURCHASE = Criterion(
    "repeat_purchase",
    "customers who bought twice or more (12 months)",
    ("repeat_purchase_rate_12m",),
    "higher",
    "ratio",
    (
        _b("0.40", 7, "at the top of e-commerce's usual 20–40 %"),
        _b("0.28", 5, "at or above the e-commerce average (about 28 %)"),
        _b("0.20", 3, "within e-commerce's usual 20–40 %"),
        _b("0.10", 1, "10–20 %"),
    ),
    floor_meaning="under 10 %: nearly every customer buys once",
)
REPEAT_REVENUE = Criterion(
    "repeat_revenue",
    "repeat customers' share of 12-month volume",
    ("repeat_customer_revenue_share_12m",),
    "higher",
    "ratio",
    (
        _b("0.50", 6, "half or more"),
        _b("0.35", 4, "35–50 %"),
        _b("0.20", 2, "20–35 %"),
        _b("0.10", 1, "10–20 %"),
    ),
    floor_meaning="under 10 %",
)

COMPONENTS: tuple[Component, ...] = (
    Component(
        "revenue_scale",
        "Revenue scale",
        (
            Criterion(
                "annual_revenue",
                "annual revenue",
                ("gross_volume_12m", "arr"),
                "higher",
                "money",
                (
                    _b(1_000_000, 12, "1M a year or more"),
                    _b(500_000, 11, "500K a year or more"),
                    _b(200_000, 9, "at Lighter Capital's 200K minimum"),
                    _b(120_000, 7, "at Clearco's 10K a month"),
                    _b(60_000, 5, "5K a month or more"),
                    _b(12_000, 3, "1K a month, Stripe Capital for platforms' floor"),
                    _b(5_000, 1, "at Stripe Capital's 5K a year minimum"),
                ),
                floor_meaning="under Stripe Capital's 5K a year minimum",
            ),
        ),
    ),
    Component(
        "growth",
        "Growth",
        (
            Criterion(
                "growth_rate",
                "monthly growth",
                ("cmgr_yoy", "cmgr_6m", "mrr_cmgr_6m"),
                "higher",
                "ratio",
                (
                    _b("0.10", 10, "10 % a month or faster"),
                    _b("0.05", 8, "5 % a month or faster"),
                    _b("0.02", 6, "growing 2 % a month or faster"),
                    _b("0", 4, "flat to slightly growing"),
                    _b("-0.03", 2, "shrinking slowly"),
                ),
                floor_meaning="shrinking more than 3 % a month",
                # A business with a year of history is judged on the same season a year apart:
                # six months up to December is a shop's upswing, not its growth.
                instead=(("cmgr_6m", "cmgr_yoy"),),
            ),
        ),
    ),
    Component(
        "stability",
        "Stability",
        (
            Criterion(
                "revenue_volatility",
                "revenue volatility (CV of 12 complete months)",
                (SEASONALLY_ADJUSTED_CV, "revenue_volatility_cv_12m"),
                "lower",
                "ratio",
                (
                    _b("0.15", 10, "very steady (under 15 %)"),
                    _b("0.25", 9, "steady (15–25 %)"),
                    _b("0.40", 7, "moderately variable (25–40 %)"),
                    _b("0.60", 5, "variable (40–60 %)"),
                    _b("0.80", 3, "very variable (60–80 %)"),
                    _b("1000000", 2, "erratic (over 80 %)"),
                ),
                # With 24 complete months a season that comes back every year is no volatility: a
                # shop's December is read against its December a year before, not its March.
                instead=(("revenue_volatility_cv_12m", SEASONALLY_ADJUSTED_CV),),
            ),
        ),
    ),
    Component(
        "retention",
        "Retention",
        (
            Criterion(
                "customer_churn",
                "monthly customer churn (3 complete months)",
                ("customer_churn_rate_3m",),
                "lower",
                "ratio",
                (
                    _b("0.01", 7, "1 % a month or less"),
                    _b("0.02", 6, "2 % a month or less"),
                    _b("0.03", 5, "3 % a month or less"),
                    _b("0.05", 3, "5 % a month or less"),
                    _b("0.08", 1, "8 % a month or less"),
                ),
                floor_meaning="over 8 % a month",
                stand_in=REPEAT_PURCHASE,
                stand_in_when="mrr",
            ),
            Criterion(
                "revenue_retention",
                "net revenue retention (12 months)",
                ("nrr_12m",),
                "higher",
                "ratio",
                (
                    _b("1.10", 6, "110 % or more"),
                    _b("1.00", 5, "at or above the private-SaaS median"),
                    _b("0.90", 4, "90–100 %"),
                    _b("0.80", 2, "80–90 %"),
                ),
                floor_meaning="under 80 %",
                stand_in=REPEAT_REVENUE,
                stand_in_when="mrr",
            ),
        ),
    ),
    Component(
        "payment_risk",
        "Payment risk",
        (
            Criterion(
                "dispute_activity",
                "dispute activity, worst of 30 and 90 days",
                DISPUTE_METRICS,
                "lower",
                "ratio",
                (
                    _b("0.003", 14, "low (0.3 % or less)"),
                    _b(str(EARLY_WARNING), 11, "below Visa's 0.65 % early-warning line"),
                    _b(str(VDMP_STANDARD), 7, "in Visa's early-warning band (0.65–0.9 %)"),
                    _b(str(VAMP_EXCESSIVE), 3, "in Visa's standard band, under VAMP's 1.5 %"),
                    _b(str(VDMP_EXCESSIVE), 1, "above VAMP's 1.5 % excessive line"),
                ),
                combine="worst",
                floor_meaning="above Visa's 1.8 % excessive tier",
                minimums=DISPUTE_MINIMUMS,
            ),
            Criterion(
                "refund_rate",
                "refund rate (90 days)",
                ("refund_rate_90d",),
                "lower",
                "ratio",
                (
                    _b("0.02", 6, "2 % or less"),
                    _b("0.05", 4, "2–5 %"),
                    _b("0.08", 2, "5–8 %"),
                    _b("0.12", 1, "8–12 %"),
                ),
                floor_meaning="over 12 %",
            ),
        ),
    ),
    Component(
        "payout_reliability",
        "Payout reliability",
        (
            Criterion(
                "payout_failures",
                "failed payouts (90 days)",
                ("payouts_failed_90d",),
                "lower",
                "count",
                (_b(0, 5, "none"), _b(1, 2, "one")),
                floor_meaning="two or more",
            ),
            Criterion(
                "payout_streak",
                "payouts paid since the last failure",
                ("payout_paid_streak",),
                "higher",
                "count",
                (_b(12, 3, "12 or more"), _b(4, 2, "4–11"), _b(1, 1, "1–3")),
                floor_meaning="none yet",
            ),
        ),
    ),
    Component(
        "concentration",
        "Customer concentration",
        (
            Criterion(
                "top_customer",
                "largest customer's share (12 months)",
                ("top_customer_share_12m",),
                "lower",
                "ratio",
                (
                    _b("0.10", 5, "10 % or less"),
                    _b("0.20", 4, "within the usual 20 % comfort line"),
                    _b("0.35", 2, "above the 20 % comfort line"),
                    _b("0.50", 1, "high (35–50 %)"),
                ),
                floor_meaning="over half of revenue from one customer",
            ),
            Criterion(
                "top_five",
                "five largest customers' share (12 months)",
                ("top5_customer_share_12m",),
                "lower",
                "ratio",
                (
                    _b("0.30", 4, "30 % or less"),
                    _b("0.50", 3, "within the usual 50 % comfort line"),
                    _b("0.65", 1, "above the 50 % comfort line"),
                ),
                floor_meaning="over 65 %",
            ),
        ),
    ),
    Component(
        "history",
        "History",
        (
            Criterion(
                "months_on_stripe",
                "months of history on Stripe",
                ("months_of_history",),
                "higher",
                "months",
                (
                    _b(24, 14, "two years or more"),
                    _b(18, 12, "18 months or more"),
                    _b(12, 10, "a year or more"),
                    _b(9, 7, "at Stripe Capital's 9-month minimum"),
                    _b(6, 5, "at Clearco's and Stripe Capital UK's 6 months"),
                    _b(3, 2, "at Stripe Capital for platforms' 3 months"),
                ),
                floor_meaning="under 3 months",
            ),
        ),
    ),
    Component(
        "data_quality",
        "Data quality and freshness",
        (
            Criterion(
                "freshness",
                "time since Stripe was last heard from",
                ("data_age_hours",),
                "lower",
                "hours",
                (
                    _b(24, 3, "within a day"),
                    _b(48, 2, "within 48 hours"),
                    _b(168, 1, "within a week"),
                ),
                floor_meaning="older than a week",
            ),
            Criterion(
                "currency_coverage",
                "share of 12-month volume in the reporting currency",
                ("currency_coverage_12m",),
                "higher",
                "ratio",
                (_b("0.99", 1, "nearly all"),),
                floor_meaning="over 1 % in other currencies, not converted",
            ),
        ),
    ),
)

CEILINGS: tuple[Ceiling, ...] = (
    Ceiling(
        "dispute_ceiling",
        DISPUTE_METRICS,
        VAMP_EXCESSIVE,
        40,
        "dispute activity at or above Visa's 1.5 % VAMP excessive line",
        "dispute_activity",
    ),
)

BY_KEY = {c.key: c for c in COMPONENTS}


# How an explanation names the input that decided a criterion with several.
INPUT_NAMES = {
    "gross_volume_12m": "12-month volume",
    "arr": "ARR",
    "cmgr_6m": "revenue, 6 complete months compounded",
    "cmgr_yoy": "revenue, the last 3 complete months on the same 3 a year earlier, compounded",
    "mrr_cmgr_6m": "MRR, 6 months compounded",
    "revenue_volatility_cv_12m": "as measured, the season included",
    SEASONALLY_ADJUSTED_CV: (
        "with the season taken out: each month divided by its month's index from the year before"
    ),
    "dispute_activity_ratio_30d": "30 days",
    "dispute_activity_ratio_90d": "90 days",
}
CRITERIA = {c.key: c for component in COMPONENTS for c in component.criteria}


def scored_dispute_activity(inputs: Mapping[str, object]) -> Decimal | None:
    """Dispute activity as the score places it: the worse of the 30 and the 90 days', each as
    its count minimums read it."""
    return max(counted_values(CRITERIA["dispute_activity"], inputs), default=None)


def ceiling_reading(ceiling: Ceiling, inputs: Mapping[str, object]) -> Decimal | None:
    """The worst of the ceiling's metrics whose lines their counts establish (the criterion's
    count minimums): 1.6 % on 1,200 disputes a month has not crossed VAMP's 1.5 %."""
    return max(established_values(CRITERIA[ceiling.reads_as], inputs), default=None)
