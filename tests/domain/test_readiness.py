"""Recommendations: triggered only by the data, planned step by step by gain per effort, each
gain what the what-if engine says the step adds to the steps before it; and what-if on a whole
assessment (score and lender fit, nothing saved)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from vaultra.domain.lenders import assess_lenders
from vaultra.domain.readiness import apply_outcome, assess, recommend, simulate
from vaultra.domain.recommendations.catalog import ACTIONS
from vaultra.domain.scoring.score import total_points
from vaultra.domain.scoring.whatif import parse_change

D = Decimal
AT = datetime(2026, 11, 26, 12, tzinfo=UTC)

# A merchant with disputes above Visa's VAMP line, 9 % refunds and one failed payout.
RISKY: dict[str, Any] = {
    "mrr": 0,
    "gross_volume_12m": 24_000_000,
    "gross_volume_90d": 6_000_000,
    "gross_volume_by_currency_12m": {"usd": 24_000_000},
    "currency_coverage_12m": D(1),
    "cmgr_6m": D("0.01"),
    "revenue_volatility_cv_12m": D("0.14"),
    "dispute_activity_ratio_month": D("0.021"),
    "dispute_activity_ratio_mastercard_month": D("0.019"),
    "dispute_activity_ratio_30d": D("0.020"),
    "dispute_activity_ratio_90d": D("0.018"),
    "refund_rate_90d": D("0.09"),
    "payouts_failed_90d": 1,
    "payout_paid_streak": 20,
    "last_payout_failure_at": "2026-11-02T00:00:00+00:00",
    "top_customer_share_12m": D("0.01"),
    "top5_customer_share_12m": D("0.03"),
    "months_of_history": 14,
    "data_through": "2026-11-26T08:00:00+00:00",
    "last_synced_at": "2026-11-26T08:00:00+00:00",
}


def test_the_risky_merchant_is_told_to_bring_disputes_down_first() -> None:
    before = assess(RISKY, "usd", AT)

    found = recommend(before)

    assert before.score.score == 40  # held by the dispute ceiling
    assert [r.key for r in found][:1] == ["reduce_disputes"]
    # disputes under 0.65 %: dispute criterion 3 → 11 of 14 … and the ceiling of 40 lifts
    after = simulate(before, [parse_change("dispute_activity_ratio_30d=0.65%", "usd")])
    assert found[0].expected_gain == after.score.score - 40 > 15
    assert {"fix_payout_account", "lower_refunds"} <= {r.key for r in found}
    assert not {"reduce_churn", "recover_failed_payments", "grow_expansion_revenue"} & {
        r.key for r in found
    }  # no subscriptions: nothing about churn


def test_the_plans_gains_add_up_to_the_what_if_of_doing_every_step() -> None:
    before = assess(RISKY, "usd", AT)
    found = recommend(before)

    everything = simulate(
        before,
        [
            parse_change("dispute_activity_ratio_30d=0.65%", "usd"),
            parse_change("payouts_failed_90d=0", "usd"),
            parse_change("refund_rate_90d=8%", "usd"),  # the next refund band: 8–12 % → 5–8 %
        ],
    )

    assert [r.key for r in found] == ["reduce_disputes", "fix_payout_account", "lower_refunds"]
    assert sum(r.expected_gain for r in found) == everything.score.score - before.score.score
    # fixing the payout gains its 3 points only once the ceiling is lifted: ranked after it
    assert found[1].expected_gain == 3


def test_a_clean_business_gets_no_recommendation_that_contradicts_its_data() -> None:
    clean = {
        **RISKY,
        "dispute_activity_ratio_month": D(0),
        "dispute_activity_ratio_mastercard_month": D(0),
        "dispute_activity_ratio_30d": D(0),
        "dispute_activity_ratio_90d": D(0),
        "refund_rate_90d": D("0.004"),
        "payouts_failed_90d": 0,
        "last_payout_failure_at": None,
    }

    keys = {r.key for r in recommend(assess(clean, "usd", AT))}

    assert not {"reduce_disputes", "lower_refunds", "fix_payout_account"} & keys


def test_a_shop_whose_peak_repeats_is_not_told_to_smooth_its_season() -> None:
    # A holiday peak: the 12 complete months' CV is 55 % (5 of 10, "variable"), but divided by
    # last year's pattern it is 5 % ("very steady", 10 of 10). The score reads the latter, and so
    # does the recommendation: nothing to smooth.
    shop = {
        **RISKY,
        **dict.fromkeys(("dispute_activity_ratio_30d", "dispute_activity_ratio_90d"), D(0)),
        "revenue_volatility_cv_12m": D("0.55"),
        "revenue_volatility_cv_12m_seasonally_adjusted": D("0.05"),
    }
    assert "smooth_revenue" not in {r.key for r in recommend(assess(shop, "usd", AT))}
    # without two years of months the raw 55 % is what the score reads, and the action applies
    young = {**shop, "revenue_volatility_cv_12m_seasonally_adjusted": None}
    assert "smooth_revenue" in {r.key for r in recommend(assess(young, "usd", AT))}

    # A peak that did not come back: 35 % once the season is taken out (25–40 %, 7 of 10). The
    # action aims for the next band of that figure, 25 % (9 of 10): 2 points, not what moving
    # the raw CV would gain (nothing, since the score does not read it).
    erratic = {**shop, "revenue_volatility_cv_12m_seasonally_adjusted": D("0.35")}
    smooth = next(a for a in ACTIONS if a.key == "smooth_revenue")
    inputs = assess(erratic, "usd", AT).inputs
    assert smooth.applies(inputs)
    assert smooth.outcome(inputs) == {"revenue_volatility_cv_12m_seasonally_adjusted": D("0.25")}
    assert (
        total_points(apply_outcome(inputs, smooth.outcome(inputs)), "usd")
        - total_points(inputs, "usd")
        == 2
    )


RATIO = st.integers(0, 300_000).map(lambda n: D(n) / 1_000_000)
PROFILES = st.fixed_dictionaries(
    {
        "mrr": st.integers(0, 5_000_000),
        "paying_customers": st.integers(0, 500),
        "gross_volume_12m": st.integers(0, 90_000_000),
        "cmgr_6m": st.one_of(st.none(), st.integers(-100_000, 200_000).map(lambda n: D(n) / 10**6)),
        "revenue_volatility_cv_12m": st.one_of(st.none(), RATIO.map(lambda r: r * 4)),
        "revenue_volatility_cv_12m_seasonally_adjusted": st.one_of(
            st.none(), RATIO.map(lambda r: r * 4)
        ),
        "customer_churn_rate_3m": st.one_of(st.none(), RATIO),
        "nrr_12m": st.one_of(st.none(), RATIO.map(lambda r: r * 5)),
        "dispute_activity_ratio_30d": st.one_of(st.none(), RATIO.map(lambda r: r / 10)),
        "dispute_activity_ratio_90d": st.one_of(st.none(), RATIO.map(lambda r: r / 10)),
        "refund_rate_90d": st.one_of(st.none(), RATIO),
        "payouts_failed_90d": st.integers(0, 3),
        "payout_paid_streak": st.integers(0, 40),
        "top_customer_share_12m": st.one_of(st.none(), RATIO.map(lambda r: r * 3)),
        "months_of_history": st.integers(0, 40),
        "data_through": st.sampled_from(
            ["2026-11-26T10:00:00+00:00", "2026-11-24T00:00:00+00:00", "2026-11-01T00:00:00+00:00"]
        ),
    }
)


def _positive(profile: dict[str, Any], *keys: str) -> bool:
    return any(isinstance(profile.get(k), int | Decimal) and profile[k] > 0 for k in keys)


@settings(max_examples=150, deadline=None)
@given(PROFILES)
def test_every_recommendation_is_triggered_by_the_data_and_the_first_gains_its_own_what_if(
    profile: dict[str, Any],
) -> None:
    before = assess(profile, "usd", AT)
    found = recommend(before)

    if found:
        first = next(a for a in ACTIONS if a.key == found[0].key)
        alone = apply_outcome(before.inputs, first.outcome(before.inputs))
        assert found[0].expected_gain == total_points(alone, "usd") - before.score.score
    for r in found:
        action = next(a for a in ACTIONS if a.key == r.key)
        assert action.applies(before.inputs)
        assert r.expected_gain > 0 or r.unlocks
        if r.key == "reduce_disputes":
            assert _positive(profile, "dispute_activity_ratio_30d", "dispute_activity_ratio_90d")
        if r.key == "lower_refunds":
            assert _positive(profile, "refund_rate_90d")
        if r.key == "fix_payout_account":
            assert _positive(profile, "payouts_failed_90d")
        if r.key in ("reduce_churn", "recover_failed_payments"):
            assert _positive(profile, "customer_churn_rate_3m")


def test_what_if_changes_score_and_lender_fit_and_leaves_the_assessment_alone() -> None:
    before = assess(RISKY, "usd", AT)

    after = simulate(
        before,
        [
            parse_change("dispute_activity_ratio_month=0.3%", "usd"),
            parse_change("months_of_history=+3", "usd"),
        ],
    )

    assert after.score.score > before.score.score
    assert all(c.key != "dispute_ceiling" for c in after.score.components)
    assert before.inputs["months_of_history"] == 14 and after.inputs["months_of_history"] == 17
    assert before.score.score == assess(RISKY, "usd", AT).score.score


@settings(max_examples=100, deadline=None)
@given(PROFILES)
def test_each_step_unlocks_exactly_the_lenders_a_fresh_assessment_of_its_state_finds(
    profile: dict[str, Any],
) -> None:
    before = assess(profile, "usd", AT)
    state, eligible = before.inputs, {f.key for f in before.lender_fit if f.status == "eligible"}

    for step in recommend(before):
        action = next(a for a in ACTIONS if a.key == step.key)
        state = apply_outcome(state, action.outcome(before.inputs))
        now = {f.key for f in assess_lenders(state, "usd") if f.status == "eligible"}
        assert set(step.unlocks) == now - eligible
        eligible = now
