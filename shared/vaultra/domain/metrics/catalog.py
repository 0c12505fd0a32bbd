"""Every published metric: its key, how to read its value, and a one-line meaning.

The one list the CLI, the API and the agent describe metrics from; docs/METRICS.md gives each its
full definition and source (a test keeps the three in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "money", "money_by_key", "rate_by_key", "ratio", "multiple", "count", "index", "timestamp"
]


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    kind: Kind
    group: str
    meaning: str


def _m(key: str, kind: Kind, group: str, meaning: str) -> MetricDefinition:
    return MetricDefinition(key, kind, group, meaning)


MRR, REVENUE, RISK, CONCENTRATION, RETENTION, DATA = (
    "Recurring revenue",
    "Revenue",
    "Payment risk",
    "Customer concentration",
    "Repeat buyers",
    "History and data",
)

CATALOG: tuple[MetricDefinition, ...] = (
    _m("mrr", "money", MRR, "MRR at the end of D"),
    _m("arr", "money", MRR, "MRR × 12"),
    _m("paying_customers", "count", MRR, "customers with MRR > 0 at the end of D"),
    _m("arpa", "money", MRR, "MRR ÷ paying customers"),
    _m("mrr_previous_month_end", "money", MRR, "MRR at the end of the previous month"),
    _m("mrr_growth_mom", "ratio", MRR, "MRR change since the end of the previous month"),
    _m("mrr_30_days_before", "money", MRR, "MRR 30 days before the end of D"),
    _m("mrr_growth_30d", "ratio", MRR, "MRR change over the 30 days ending at D"),
    _m("mrr_180_days_before", "money", MRR, "MRR 180 days before the end of D"),
    _m("mrr_cmgr_6m", "ratio", MRR, "compound monthly MRR growth over the 180 days ending at D"),
    _m("mrr_new", "money", MRR, "the month's MRR from first-time customers"),
    _m("mrr_expansion", "money", MRR, "the month's MRR increases of paying customers"),
    _m("mrr_contraction", "money", MRR, "the month's MRR decreases of paying customers"),
    _m("mrr_churn", "money", MRR, "the month's MRR of customers who stopped paying"),
    _m("mrr_reactivation", "money", MRR, "the month's MRR of returning customers"),
    _m("customers_churned_month", "count", MRR, "paying at the previous month's end, not at D"),
    _m("customer_churn_rate", "ratio", MRR, "customers churned ÷ paying at the previous month end"),
    _m("customer_churn_rate_3m", "ratio", MRR, "customer churn over the three complete months"),
    _m("gross_mrr_churn_rate", "ratio", MRR, "(churn + contraction) ÷ previous month-end MRR"),
    _m("net_mrr_churn_rate", "ratio", MRR, "net MRR lost from existing customers"),
    _m("quick_ratio", "multiple", MRR, "MRR gained ÷ MRR lost in the month"),
    _m("nrr_12m", "ratio", MRR, "net revenue retention over 12 months"),
    _m("grr_12m", "ratio", MRR, "gross revenue retention over 12 months"),
    _m("ltv", "money", MRR, "ARPA ÷ three-month customer churn rate"),
    _m("mrr_by_currency", "money_by_key", MRR, "MRR per billing currency, unconverted"),
    _m("gross_volume_month", "money", REVENUE, "succeeded charges created in the month"),
    _m("gross_volume_90d", "money", REVENUE, "succeeded charges of the 90 days ending at D"),
    _m("gross_volume_12m", "money", REVENUE, "succeeded charges of the 12 months ending at D"),
    _m("gross_volume_by_month_12m", "money_by_key", REVENUE, "gross volume of each of 12 months"),
    _m(
        "gross_volume_by_currency_12m",
        "money_by_key",
        REVENUE,
        "12-month gross volume per charge currency, unconverted",
    ),
    _m(
        "fx_rates_12m",
        "rate_by_key",
        REVENUE,
        "per currency sold: the rate Stripe applied to its latest sale settled in the reporting "
        "currency, in millionths",
    ),
    _m(
        "currency_coverage_12m",
        "ratio",
        REVENUE,
        "share of the 12 months' charges counted in the reporting currency (in it or settled)",
    ),
    _m("refunded_amount_month", "money", REVENUE, "refunds created in the month"),
    _m("disputed_amount_month", "money", REVENUE, "disputes created in the month"),
    _m("net_volume_month", "money", REVENUE, "gross − refunds − disputes + disputes won"),
    _m("revenue_growth_mom", "ratio", REVENUE, "last complete month's growth on the one before"),
    _m("cmgr_6m", "ratio", REVENUE, "compound monthly growth over six complete months"),
    _m("gross_volume_3m", "money", REVENUE, "volume of the three complete months before D's"),
    _m(
        "gross_volume_3m_year_earlier",
        "money",
        REVENUE,
        "volume of the same three months a year earlier",
    ),
    _m("revenue_growth_yoy", "ratio", REVENUE, "the three complete months on a year earlier"),
    _m("cmgr_yoy", "ratio", REVENUE, "compound monthly growth over that year (same season)"),
    _m("revenue_volatility_cv_12m", "ratio", REVENUE, "σ ÷ mean of 12 complete months' volumes"),
    _m(
        "revenue_volatility_cv_12m_seasonally_adjusted",
        "ratio",
        REVENUE,
        "the same CV, each month divided by its seasonal index from the year before",
    ),
    _m(
        "seasonality_strength_24m",
        "ratio",
        REVENUE,
        "share of the 12 months' variation the year-earlier pattern accounts for",
    ),
    _m("refund_rate_90d", "ratio", RISK, "refunds ÷ gross volume, 90 days"),
    _m("charges_count_month", "count", RISK, "succeeded charges created in the month"),
    _m("disputes_count_month", "count", RISK, "disputes created in the month (not inquiries)"),
    _m("inquiries_count_month", "count", RISK, "inquiries (retrieval requests) in the month"),
    _m("dispute_activity_ratio_month", "ratio", RISK, "disputes ÷ charges, by count (Visa)"),
    _m(
        "dispute_activity_ratio_mastercard_month",
        "ratio",
        RISK,
        "disputes ÷ last month's charges (Mastercard)",
    ),
    _m("charges_count_30d", "count", RISK, "succeeded charges of the 30 days ending at D"),
    _m("disputes_count_30d", "count", RISK, "disputes of the 30 days ending at D (not inquiries)"),
    _m("dispute_activity_ratio_30d", "ratio", RISK, "disputes ÷ charges over 30 days, by count"),
    _m("charges_count_90d", "count", RISK, "succeeded charges of the 90 days ending at D"),
    _m("disputes_count_90d", "count", RISK, "disputes of the 90 days ending at D (not inquiries)"),
    _m("dispute_activity_ratio_90d", "ratio", RISK, "disputes ÷ charges over 90 days"),
    _m("payouts_failed_90d", "count", RISK, "failed payouts arriving in the 90 days"),
    _m("payout_failure_rate_90d", "ratio", RISK, "failed ÷ (paid + failed) payouts, 90 days"),
    _m("payout_paid_streak", "count", RISK, "payouts paid since the last failed one"),
    _m("last_payout_failure_at", "timestamp", RISK, "arrival date of the last failed payout"),
    _m("customers_12m", "count", CONCENTRATION, "paying parties of the 12 months ending at D"),
    _m("top_customer_share_12m", "ratio", CONCENTRATION, "largest customer's share of volume"),
    _m("top5_customer_share_12m", "ratio", CONCENTRATION, "five largest customers' share"),
    _m("hhi_12m", "index", CONCENTRATION, "Herfindahl–Hirschman index, 0–10,000"),
    _m("repeat_customers_12m", "count", RETENTION, "customers who bought twice or more, 12 months"),
    _m("repeat_purchase_rate_12m", "ratio", RETENTION, "repeat customers ÷ customers, 12 months"),
    _m(
        "repeat_customer_revenue_share_12m",
        "ratio",
        RETENTION,
        "repeat customers' share of the 12-month volume",
    ),
    _m("months_of_history", "count", DATA, "whole months since the first charge"),
    _m("data_through", "timestamp", DATA, "latest Stripe event or object seen"),
    _m("last_synced_at", "timestamp", DATA, "last webhook received or import completed"),
)

BY_KEY: dict[str, MetricDefinition] = {m.key: m for m in CATALOG}
