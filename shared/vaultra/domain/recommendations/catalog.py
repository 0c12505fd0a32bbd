"""The actions Vaultra can recommend, as data: when each applies, what it would change, its cost.

`applies` reads only the business's own numbers, so a recommendation never contradicts the data
(no "reduce disputes" without disputes). `outcome` is the metric values the action aims for —
usually the next band of the criterion it serves (docs/SCORING.md) — and the what-if engine turns
it into the expected gain; no gain here is a constant. `article` is the id of the knowledge-base
article that explains how (the articles arrive with the agent, roadmap step 5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.numbers import as_number
from vaultra.domain.scoring.criteria import next_band_limit
from vaultra.domain.scoring.model import (
    CRITERIA,
    EARLY_WARNING,
    dispute_activity,
    scored_dispute_activity,
)

Effort = Literal["low", "medium", "high"]
EFFORT_WEIGHT: dict[Effort, int] = {"low": 1, "medium": 2, "high": 3}
Inputs = Mapping[str, MetricValue]  # the metrics plus the score's derived inputs


@dataclass(frozen=True)
class Action:
    key: str
    title: str
    trigger: str  # the condition, in words, for people and docs
    effort: Effort
    takes_effect: str
    article: str
    applies: Callable[[Inputs], bool]
    outcome: Callable[[Inputs], dict[str, MetricValue]]


def _above(metric: str, limit: str) -> Callable[[Inputs], bool]:
    return lambda i: (v := as_number(i.get(metric))) is not None and v > Decimal(limit)


def _below(metric: str, limit: str) -> Callable[[Inputs], bool]:
    return lambda i: (v := as_number(i.get(metric))) is not None and v < Decimal(limit)


def _next_band(criterion: str, metric: str) -> Callable[[Inputs], dict[str, MetricValue]]:
    """Aim for the next better band of `criterion`, measured on `metric`."""

    def outcome(inputs: Inputs) -> dict[str, MetricValue]:
        value = as_number(inputs.get(metric))
        target = next_band_limit(CRITERIA[criterion], value) if value is not None else None
        return {} if target is None else {metric: target}

    return outcome


def _scored_volatility(inputs: Inputs) -> str:
    """The volatility the stability criterion reads: with the season taken out once that is
    known, so that a shop whose peak repeats is not told to smooth it."""
    read = CRITERIA["revenue_volatility"].read_metrics(inputs)
    return next((m for m in read if as_number(inputs.get(m)) is not None), read[-1])


def _disputes_target(inputs: Inputs) -> dict[str, MetricValue]:
    worst = scored_dispute_activity(inputs) or Decimal(0)
    # Under the early-warning line first; from there, the comfortable 0.3 %. From where the score
    # places the ratio: one dispute on a few charges already counts as 0.65 % (small numbers).
    target = EARLY_WARNING if worst > EARLY_WARNING else Decimal("0.003")
    return {"dispute_activity_ratio_30d": target}


def _churn_recovered(inputs: Inputs) -> dict[str, MetricValue]:
    churn = as_number(inputs.get("customer_churn_rate_3m")) or Decimal(0)
    return {"customer_churn_rate_3m": (churn * Decimal("0.75")).quantize(Decimal("0.000001"))}


def _all_in_reporting_currency(inputs: Inputs) -> dict[str, MetricValue]:
    return {"currency_coverage_12m": Decimal(1)}


def _fresh(inputs: Inputs) -> dict[str, MetricValue]:
    return {"data_age_hours": 0}


ACTIONS: tuple[Action, ...] = (
    Action(
        "reduce_disputes",
        "Bring dispute activity down: clear descriptors, receipts, fast answers to customers",
        "dispute activity (worst of 30 and 90 days) above 0.3 %",
        "medium",
        "1–3 months: the networks count disputes by the month they are opened",
        "kb-dispute-prevention",
        lambda i: (w := dispute_activity(i)) is not None and w > Decimal("0.003"),
        _disputes_target,
    ),
    Action(
        "fix_payout_account",
        "Fix the bank account behind the failed payout and confirm it with Stripe",
        "a payout failed in the last 90 days",
        "low",
        "from the next payout; the failure leaves the 90-day window after 90 days",
        "kb-payout-failures",
        _above("payouts_failed_90d", "0"),
        lambda i: {"payouts_failed_90d": 0},
    ),
    Action(
        "reconnect_stripe_data",
        "Check the Stripe connection: Vaultra has heard nothing from Stripe for over a day",
        "nothing heard from Stripe (no webhook, no completed import) for more than 24 hours",
        "low",
        "today",
        "kb-stripe-connection",
        _above("data_age_hours", "24"),
        _fresh,
    ),
    Action(
        "recover_failed_payments",
        "Turn on Smart Retries and card-update emails to win back failed renewals",
        "monthly customer churn above 1 %",
        "low",
        "1–2 months",
        "kb-failed-payment-recovery",
        lambda i: _above("customer_churn_rate_3m", "0.01")(i) and _above("mrr", "0")(i),
        _churn_recovered,
    ),
    Action(
        "lower_refunds",
        "Find what drives refunds (product, promise, support) and fix the biggest cause",
        "refund rate above 2 % over 90 days",
        "medium",
        "about 90 days",
        "kb-refund-reduction",
        _above("refund_rate_90d", "0.02"),
        _next_band("refund_rate", "refund_rate_90d"),
    ),
    Action(
        "settle_in_one_currency",
        "Settle or price foreign sales so they are counted in your reporting currency",
        "more than 1 % of 12-month volume in other currencies",
        "medium",
        "from the next statement",
        "kb-multi-currency",
        _below("currency_coverage_12m", "0.99"),
        _all_in_reporting_currency,
    ),
    Action(
        "reduce_churn",
        "Cut churn: onboarding, health checks and a save offer before cancellation",
        "monthly customer churn above 2 %",
        "high",
        "about 3 months",
        "kb-reduce-churn",
        _above("customer_churn_rate_3m", "0.02"),
        _next_band("customer_churn", "customer_churn_rate_3m"),
    ),
    Action(
        "grow_expansion_revenue",
        "Grow revenue from existing customers: seats, usage tiers, annual upgrades",
        "net revenue retention under 100 %",
        "high",
        "6–12 months",
        "kb-expansion-revenue",
        _below("nrr_12m", "1"),
        _next_band("revenue_retention", "nrr_12m"),
    ),
    Action(
        "diversify_customers",
        "Win more mid-sized customers so no single customer dominates revenue",
        "largest customer above 20 % of 12-month revenue",
        "high",
        "6–12 months",
        "kb-customer-concentration",
        _above("top_customer_share_12m", "0.20"),
        _next_band("top_customer", "top_customer_share_12m"),
    ),
    Action(
        "smooth_revenue",
        "Smooth revenue with annual prepay, subscriptions or off-season offers",
        "revenue volatility above 25 % with a year of history (the season taken out once it "
        "can be: 24 complete months)",
        "high",
        "6–12 months",
        "kb-smooth-revenue",
        lambda i: (
            _above(_scored_volatility(i), "0.25")(i) and not _below("months_of_history", "12")(i)
        ),
        lambda i: _next_band("revenue_volatility", _scored_volatility(i))(i),
    ),
)

BY_KEY = {a.key: a for a in ACTIONS}
