"""The metric keys the issue's contract requires (`vaultra metrics --json` must carry them all)."""

from __future__ import annotations

REQUIRED_METRICS = frozenset(
    [
        "mrr",
        "arr",
        "paying_customers",
        "arpa",
        "mrr_new",
        "mrr_expansion",
        "mrr_contraction",
        "mrr_churn",
        "mrr_reactivation",
        "customer_churn_rate",
        "gross_mrr_churn_rate",
        "net_mrr_churn_rate",
        "quick_ratio",
        "nrr_12m",
        "grr_12m",
        "gross_volume_month",
        "gross_volume_12m",
        "refunded_amount_month",
        "disputed_amount_month",
        "net_volume_month",
        "revenue_growth_mom",
        "cmgr_6m",
        "revenue_volatility_cv_12m",
        "refund_rate_90d",
        "disputes_count_month",
        "dispute_activity_ratio_month",
        "payout_failure_rate_90d",
        "top_customer_share_12m",
        "top5_customer_share_12m",
        "hhi_12m",
        "months_of_history",
        "data_through",
    ]
)
