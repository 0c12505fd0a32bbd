"""Scoring a business from its saved metrics: one versioned score row per day, recommendations
whose status survives recomputes, alerts raised once, and nothing of another tenant touched."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.readiness import assess
from vaultra.services.readiness import (
    UnknownRecommendation,
    assessed_at,
    this_week,
)

from tests.support.ledger_records import new_business, save_metrics
from tests.support.services import readiness

DAY = date(2026, 11, 20)
COMPUTED = datetime(2026, 11, 20, 6, tzinfo=UTC)
D = Decimal

# A business a lender would like, with two soft spots: refunds of 3 % and churn of 2.5 %.
PROFILE: dict[str, Any] = {
    "mrr": 2_000_000,
    "arr": 24_000_000,
    "paying_customers": 80,
    "mrr_growth_mom": D("0.03"),
    "cmgr_6m": D("0.025"),
    "gross_volume_12m": 22_000_000,
    "gross_volume_90d": 6_000_000,
    "gross_volume_by_currency_12m": {"usd": 22_000_000},
    "currency_coverage_12m": D(1),
    "revenue_volatility_cv_12m": D("0.12"),
    "customer_churn_rate_3m": D("0.025"),
    "nrr_12m": D("1.04"),
    "grr_12m": D("0.93"),
    "dispute_activity_ratio_month": D("0.001"),
    "dispute_activity_ratio_mastercard_month": D("0.001"),
    "dispute_activity_ratio_90d": D("0.001"),
    "refund_rate_90d": D("0.03"),
    "payouts_failed_90d": 0,
    "payout_paid_streak": 60,
    "last_payout_failure_at": None,
    "top_customer_share_12m": D("0.06"),
    "top5_customer_share_12m": D("0.21"),
    "months_of_history": 30,
    "data_through": "2026-11-20T05:00:00+00:00",
    "last_synced_at": "2026-11-20T05:00:00+00:00",
}


@pytest.fixture
def business(engine: Engine) -> uuid.UUID:
    with engine.begin() as conn:
        return new_business(conn, "Readiness Co", "usd")


def save(engine: Engine, business: uuid.UUID, day: date = DAY, **changes: Any) -> None:
    computed = datetime.combine(day, COMPUTED.timetz())
    with engine.begin() as conn:
        save_metrics(conn, business, day, {**PROFILE, **changes}, computed_at=computed)


def rows(engine: Engine, table: str, business: uuid.UUID) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT * FROM {table} WHERE business_id = :b ORDER BY 2"), {"b": business}
        ).all()


def test_the_saved_score_is_the_domain_score_of_the_saved_metrics(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business)

    scored = readiness(engine).score(business, DAY)

    expected = assess(PROFILE, "usd", assessed_at(DAY, COMPUTED))
    assert scored is not None
    assert scored.assessment.score == expected.score
    [row] = rows(engine, "readiness_scores", business)
    assert (row.score, row.model_version, row.metrics_policy_version) == (
        expected.score.score,
        "score-3",
        "metrics-3",
    )
    assert sum(c["points"] for c in row.components) == row.score
    assert {f["key"] for f in row.lender_fit} >= {"stripe_capital_us", "lighter_capital"}


def test_scoring_again_writes_the_same_rows_and_raises_nothing_new(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business, payouts_failed_90d=1, last_payout_failure_at="2026-11-10T00:00:00+00:00")

    first = readiness(engine).score(business, DAY)
    scores, recs = (
        rows(engine, "readiness_scores", business),
        rows(engine, "recommendations", business),
    )
    second = readiness(engine).score(business, DAY)

    assert first is not None and second is not None
    assert [a.kind for a in first.raised] == ["payout_failed"]
    assert second.raised == []
    assert [r.score for r in rows(engine, "readiness_scores", business)] == [
        s.score for s in scores
    ]
    assert [
        (r.key, r.rank, r.expected_gain) for r in rows(engine, "recommendations", business)
    ] == [(r.key, r.rank, r.expected_gain) for r in recs]
    assert len(rows(engine, "notifications", business)) == 1


def test_a_recommendation_keeps_its_status_across_recomputes_and_leaves_this_weeks_plan(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business)
    scored = readiness(engine).score(business, DAY)
    assert scored is not None
    keys = [r.key for r in scored.recommendations]
    assert "lower_refunds" in keys

    readiness(engine).set_status(business, "lower_refunds", "dismissed")
    save(engine, business, refund_rate_90d=D("0.07"))  # worse refunds: a bigger expected gain
    again = readiness(engine).score(business, DAY)

    assert again is not None
    statuses = readiness(engine).statuses(business)
    [row] = [r for r in rows(engine, "recommendations", business) if r.key == "lower_refunds"]
    assert (row.status, row.active) == ("dismissed", True)
    assert row.expected_gain == next(
        r.expected_gain for r in again.recommendations if r.key == "lower_refunds"
    )
    assert "lower_refunds" not in [r.key for r in this_week(again.recommendations, statuses)]


def test_a_recommendation_the_data_no_longer_calls_for_goes_inactive_and_keeps_its_status(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business)
    readiness(engine).score(business, DAY)
    readiness(engine).set_status(business, "lower_refunds", "done")

    save(engine, business, refund_rate_90d=D("0.01"))
    readiness(engine).score(business, DAY)
    gone = [r for r in rows(engine, "recommendations", business) if r.key == "lower_refunds"]
    save(engine, business, refund_rate_90d=D("0.04"))
    readiness(engine).score(business, DAY)
    back = [r for r in rows(engine, "recommendations", business) if r.key == "lower_refunds"]

    assert [(r.status, r.active, r.rank) for r in gone] == [("done", False, None)]
    assert [(r.status, r.active) for r in back] == [("done", True)]


def test_a_business_with_nothing_to_recommend_is_scored_and_retires_its_old_recommendations(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business)
    readiness(engine).score(business, DAY)
    flawless = {
        "refund_rate_90d": D("0.005"),
        "customer_churn_rate_3m": D("0.005"),
        "nrr_12m": D("1.15"),
        "mrr_growth_mom": D("0.12"),
        "gross_volume_12m": 150_000_000,
    }
    save(engine, business, **flawless)

    scored = readiness(engine).score(business, DAY)

    assert scored is not None and scored.recommendations == []
    assert [r.score for r in rows(engine, "readiness_scores", business)] == [
        scored.assessment.score.score
    ]
    assert {r.active for r in rows(engine, "recommendations", business)} == {False}


def test_a_score_drop_of_five_points_is_raised_once_and_a_smaller_one_not_at_all(
    engine: Engine, business: uuid.UUID
) -> None:
    yesterday = DAY - timedelta(days=1)
    save(engine, business, yesterday)
    readiness(engine).score(business, yesterday)
    # two failed payouts take the payout component from 8 to 3 points: a drop of 5 and more
    save(engine, business, payouts_failed_90d=2, payout_paid_streak=0)

    first = readiness(engine).score(business, DAY)
    second = readiness(engine).score(business, DAY)

    assert first is not None and second is not None
    assert "score_drop" in [a.kind for a in first.raised]
    assert second.raised == []
    kinds = [r.kind for r in rows(engine, "notifications", business)]
    assert kinds.count("score_drop") == 1


def test_dispute_activity_crossing_the_early_warning_line_is_raised_on_the_day_it_crosses(
    engine: Engine, business: uuid.UUID
) -> None:
    days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    levels = [D("0.004"), D("0.007"), D("0.008")]  # below, crossing, still above

    raised = []
    for day, level in zip(days, levels, strict=True):
        save(engine, business, day, dispute_activity_ratio_30d=level)
        scored = readiness(engine).score(business, day)
        assert scored is not None
        raised.append([a.kind for a in scored.raised])

    assert raised[0] == [] and raised[2] == []
    assert "dispute_early_warning" in raised[1]


def test_dispute_activity_near_the_vamp_line_and_stale_data_are_raised(
    engine: Engine, business: uuid.UUID
) -> None:
    save(
        engine,
        business,
        dispute_activity_ratio_90d=D("0.013"),
        last_synced_at="2026-11-17T00:00:00+00:00",  # 78 hours before computing
    )

    scored = readiness(engine).score(business, DAY)

    assert scored is not None
    assert {a.kind for a in scored.raised} == {
        "dispute_early_warning",
        "dispute_vamp",
        "stale_data",
    }


def test_an_old_day_is_scored_without_recommendations_or_alerts(
    engine: Engine, business: uuid.UUID
) -> None:
    old = DAY - timedelta(days=60)
    with engine.begin() as conn:
        save_metrics(
            conn,
            business,
            old,
            {**PROFILE, "payouts_failed_90d": 1, "last_payout_failure_at": "2026-09-01T00:00:00"},
            computed_at=COMPUTED,
        )

    scored = readiness(engine).score(business, old)

    assert scored is not None and not scored.current
    assert len(rows(engine, "readiness_scores", business)) == 1
    assert rows(engine, "recommendations", business) == []
    assert rows(engine, "notifications", business) == []


def test_the_first_score_is_ready_once_the_latest_day_is_scored_not_a_month_end_before_it(
    engine: Engine, business: uuid.UUID
) -> None:
    # An import saves today's metrics and its month ends; the month end's score lands first.
    month_end = DAY - timedelta(days=20)
    save(engine, business, month_end)
    save(engine, business, DAY)

    readiness(engine).score(business, month_end)
    with engine.connect() as conn:
        after_month_end = UnitOfWork(conn).sync_progress.scored(business)
    readiness(engine).score(business, DAY)
    with engine.connect() as conn:
        after_today = UnitOfWork(conn).sync_progress.scored(business)

    assert (after_month_end, after_today) == (False, True)


def test_a_new_model_version_never_rewrites_an_old_versions_score(
    engine: Engine, business: uuid.UUID
) -> None:
    save(engine, business)
    readiness(engine).score(business, DAY)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE readiness_scores SET model_version = 'score-0', score = 12 "
                "WHERE business_id = :b"
            ),
            {"b": business},
        )

    readiness(engine).score(business, DAY)

    versions = {(r.model_version, r.score) for r in rows(engine, "readiness_scores", business)}
    assert ("score-0", 12) in versions and len(versions) == 2


def test_another_tenants_recommendations_are_out_of_reach(
    engine: Engine, business: uuid.UUID
) -> None:
    with engine.begin() as conn:
        other = new_business(conn, "Other Co", "usd")
    save(engine, business)
    save(engine, other)
    readiness(engine).score(business, DAY)
    readiness(engine).score(other, DAY)

    readiness(engine).set_status(business, "lower_refunds", "dismissed")
    with pytest.raises(UnknownRecommendation):
        readiness(engine).set_status(uuid.uuid4(), "lower_refunds", "dismissed")
    theirs = readiness(engine).statuses(other)

    assert theirs["lower_refunds"] == "open"


def test_a_day_without_saved_metrics_is_not_scored(engine: Engine, business: uuid.UUID) -> None:
    assert readiness(engine).score(business, DAY) is None
    assert rows(engine, "readiness_scores", business) == []


def test_an_unknown_status_is_refused_by_name(engine: Engine, business: uuid.UUID) -> None:
    with pytest.raises(
        ValueError, match="status 'finished': expected one of open, done, dismissed"
    ):
        readiness(engine).set_status(business, "lower_refunds", "finished")  # type: ignore[arg-type]
