"""The readiness repository's two scoring statements: what a scoring reads under its business's
lock (the day's saved metrics, the score before the day, whether a later day is scored) in one
statement, and what it writes (the score, the recommendations, the alerts) in one — each scoped to
its business."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.domain.alerts import Alert
from vaultra.domain.metrics.formulas import POLICY_VERSION
from vaultra.domain.readiness import Recommendation, assess, recommend

from tests.services.test_readiness_service import PROFILE  # refunds 3 %, churn 2.5 %
from tests.support.ledger_records import new_business, save_metrics

DAY = date(2026, 11, 20)
COMPUTED = datetime(2026, 11, 20, 6, tzinfo=UTC)
D = Decimal


def payout_alert(key: str) -> Alert:
    return Alert("payout_failed", key, "warning", "A payout failed", "Check the bank account.")


@pytest.fixture
def business(engine: Engine) -> uuid.UUID:
    with engine.begin() as conn:
        return new_business(conn, "Readiness Co", "usd")


def save_day(engine: Engine, business: uuid.UUID, day: date, **changes: Any) -> None:
    with engine.begin() as conn:
        save_metrics(
            conn,
            business,
            day,
            {**PROFILE, **changes},
            computed_at=datetime.combine(day, COMPUTED.timetz()),
            notes={"ltv": "no churn measured"},
        )


def save_scoring(
    db: Database,
    business: uuid.UUID,
    day: date,
    *,
    current: bool = True,
    alerts: tuple[Alert, ...] = (),
    plan: list[Recommendation] | None = None,
    **changes: Any,
) -> tuple[int, list[Recommendation], set[str]]:
    """Score `PROFILE` with `changes` as of `day` and save it: the score, the plan saved (the
    domain's unless `plan` is given) and the alerts raised now."""
    assessment = assess({**PROFILE, **changes}, "usd", COMPUTED)
    recommendations = recommend(assessment) if plan is None else plan
    with db.transaction() as uow:
        raised = uow.readiness.save_scoring(
            business,
            day,
            assessment,
            recommendations,
            metrics_policy_version=POLICY_VERSION,
            metrics_computed_at=COMPUTED,
            current=current,
            alerts=alerts,
        )
    return assessment.score.score, recommendations, raised


def recommendation_rows(engine: Engine, business: uuid.UUID) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT key, status, active, rank FROM recommendations WHERE business_id = :b"),
            {"b": business},
        )
        return {r.key: (r.status, r.active, r.rank) for r in rows}


def notification_keys(engine: Engine, business: uuid.UUID) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT dedupe_key FROM notifications WHERE business_id = :b ORDER BY 1"),
                {"b": business},
            ).scalars()
        )


def test_the_scoring_state_is_the_days_metrics_the_score_before_and_whether_a_later_is_scored(
    engine: Engine, db: Database, business: uuid.UUID
) -> None:
    before, later = DAY - timedelta(days=2), DAY + timedelta(days=1)
    for day in (before, DAY, later):
        save_day(engine, business, day)
    score_before, _, _ = save_scoring(db, business, before, refund_rate_90d=D("0.05"))
    save_scoring(db, business, later)

    with db.transaction() as uow:
        state = uow.readiness.scoring_state(business, DAY, POLICY_VERSION)
        loaded = uow.metrics.load(business, DAY)
        state_of_later = uow.readiness.scoring_state(business, later, POLICY_VERSION)

    assert state is not None and state_of_later is not None
    assert state.metrics == loaded
    assert state.metrics.values["refund_rate_90d"] == D("0.03")  # typed as the domain reads it
    assert state.metrics.notes == {"ltv": "no churn measured"}
    assert state.previous is not None
    assert (state.previous.as_of, state.previous.score) == (before, score_before)
    assert state.previous.inputs["refund_rate_90d"] == D("0.05")
    assert state.later_exists
    # the day itself is not scored: the latest before the later day is still the one before
    assert state_of_later.previous is not None and state_of_later.previous.as_of == before
    assert not state_of_later.later_exists


def test_there_is_no_scoring_state_without_the_days_metrics_under_the_policy(
    engine: Engine, db: Database, business: uuid.UUID
) -> None:
    save_day(engine, business, DAY - timedelta(days=1))

    with db.transaction() as uow:
        missing_day = uow.readiness.scoring_state(business, DAY, POLICY_VERSION)
        other_policy = uow.readiness.scoring_state(business, DAY - timedelta(days=1), "metrics-0")
        first = uow.readiness.scoring_state(business, DAY - timedelta(days=1), POLICY_VERSION)

    assert missing_day is None and other_policy is None
    assert first is not None and first.previous is None and not first.later_exists


def test_a_saved_scoring_upserts_its_plan_retires_the_rest_and_raises_each_alert_once(
    engine: Engine, db: Database, business: uuid.UUID
) -> None:
    _, plan, raised = save_scoring(db, business, DAY, alerts=(payout_alert("payout:po_1"),))
    assert len(plan) >= 2
    with db.transaction() as uow:
        uow.readiness.set_status(business, plan[0].key, "dismissed")

    kept = plan[1:]
    _, _, raised_again = save_scoring(
        db,
        business,
        DAY,
        plan=kept,
        alerts=(payout_alert("payout:po_1"), payout_alert("payout:po_2")),
    )

    assert raised == {"payout:po_1"}
    assert raised_again == {"payout:po_2"}
    assert notification_keys(engine, business) == ["payout:po_1", "payout:po_2"]
    rows = recommendation_rows(engine, business)
    assert rows[plan[0].key] == ("dismissed", False, None)  # retired, the founder's status kept
    assert [rows[r.key] for r in kept] == [("open", True, n) for n in range(1, len(kept) + 1)]
    with engine.connect() as conn:
        saved = conn.execute(
            text("SELECT recommendations FROM readiness_scores WHERE business_id = :b"),
            {"b": business},
        ).scalar_one()
    assert [r["key"] for r in saved] == [r.key for r in kept]


def test_a_scoring_of_a_day_that_is_not_current_saves_only_its_score(
    engine: Engine, db: Database, business: uuid.UUID
) -> None:
    current, plan, _ = save_scoring(db, business, DAY)
    earlier = DAY - timedelta(days=30)

    score, _, raised = save_scoring(
        db, business, earlier, current=False, plan=[], alerts=(payout_alert("payout:po_9"),)
    )

    assert raised == set()
    assert notification_keys(engine, business) == []
    assert recommendation_rows(engine, business) == {
        r.key: ("open", True, n) for n, r in enumerate(plan, start=1)
    }
    with engine.connect() as conn:
        days = conn.execute(
            text("SELECT as_of, score FROM readiness_scores WHERE business_id = :b ORDER BY 1"),
            {"b": business},
        ).all()
    assert [tuple(d) for d in days] == [(earlier, score), (DAY, current)]


def test_a_scoring_writes_only_its_own_businesss_rows(
    engine: Engine, db: Database, business: uuid.UUID
) -> None:
    with engine.begin() as conn:
        other = new_business(conn, "Other Co", "usd")
    _, plan, _ = save_scoring(db, other, DAY, alerts=(payout_alert("payout:po_1"),))

    _, _, raised = save_scoring(db, business, DAY, plan=[], alerts=(payout_alert("payout:po_1"),))

    assert raised == {"payout:po_1"}  # the same key at another business is another alert
    assert recommendation_rows(engine, other) == {
        r.key: ("open", True, n) for n, r in enumerate(plan, start=1)
    }
    assert notification_keys(engine, other) == ["payout:po_1"]
