"""A steady business scored every day across month starts neither jumps nor raises an alert.

The demo generator's steady SaaS is imported through the backfill, then the daily refresh is
played for 70 days spanning two month starts (and a 31- and a 30-day month end): each tick, at
01:00 UTC, computes and saves the day that is over (`scoring_day` of the tick) as computed at that
moment, and scores it through the real services, which look for alerts every time. The score may
move with the business, by at most a point from one day to the next, but never because a month
began, and nothing is worth an alert.

Every moment is pinned: each tick is written down, never read from a clock. The history goes on
two weeks past the last tick so that the business's second anniversary (24 months of history, two
more points, a real change) falls after the window. The seed is one whose inputs stay clear of the
score's band limits over the window: a band crossed by the business itself moves a criterion by
two points on any day, which is not what this test is about. On the same history, `score-1` read
month-to-date values and moved by up to 5 points in a day, 4 of them lost on 1 September.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from vaultra.db.embedded import drop_database, ensure_database
from vaultra.db.engine import engine_for_url
from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.metrics.periods import scoring_day
from vaultra.sample_data.generator import generate
from vaultra.services.metrics import compute_metric_set
from vaultra.services.readiness import Scored

from tests.services.test_ingest_equivalence import link
from tests.services.test_metrics_on_generated_histories import backfill
from tests.support.ledger_records import save_metrics
from tests.support.services import readiness

FIRST_DAY = date(2026, 8, 20)
DAYS = 70  # 20 August … 28 October 2026
MONTH_STARTS = (date(2026, 9, 1), date(2026, 10, 1))
TICKS = [datetime.combine(FIRST_DAY + timedelta(days=n + 1), time(1), UTC) for n in range(DAYS)]
HISTORY_ENDS = TICKS[-1] + timedelta(days=14)
SEED, SCALE = 20, 1.0


@dataclass(frozen=True)
class Run:
    business: uuid.UUID
    scored: list[Scored]  # one per tick, in order


@pytest.fixture(scope="module")
def module_engine(pg_admin_url: str, template_database: str) -> Iterator[Engine]:
    name = f"vaultra_month_{uuid.uuid4().hex[:8]}"
    ensure_database(pg_admin_url, name, template=template_database)
    engine = engine_for_url(make_url(pg_admin_url).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    drop_database(pg_admin_url, name)


def daily_refresh(engine: Engine, business: uuid.UUID, at: datetime) -> Scored:
    """The daily refresh at `at`: compute the day that is over from one snapshot of the ledger,
    save it as computed at `at`, score it."""
    day = scoring_day(at)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            metrics = compute_metric_set(UnitOfWork(conn), business, day)
            save_metrics(
                conn,
                business,
                day,
                dict(metrics.values),
                computed_at=at,
                currency=metrics.currency,
                notes=metrics.notes,
            )
    scored = readiness(engine).score(business, day)
    assert scored is not None, day
    return scored


@pytest.fixture(scope="module")
def run(module_engine: Engine) -> Run:
    end = int(HISTORY_ENDS.timestamp())
    history = generate("steady_saas", seed=SEED, now=end, account="acct_1MonthStarts", scale=SCALE)
    account = link(module_engine, history.account)
    backfill(module_engine, history, account, now=end)
    scored = [daily_refresh(module_engine, account.business_id, at) for at in TICKS]
    return Run(account.business_id, scored)


def test_each_day_is_scored_once_it_is_over_and_alerts_are_looked_for(run: Run) -> None:
    days = [s.as_of for s in run.scored]

    assert days == [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    assert {*MONTH_STARTS, date(2026, 8, 31), date(2026, 9, 30)} <= set(days)
    # each day was the latest and current when scored: the services looked for alerts every time
    assert all(s.current for s in run.scored)


def test_the_score_moves_by_at_most_one_point_a_day(run: Run) -> None:
    scores = [(s.as_of, s.assessment.score.score) for s in run.scored]

    moves = [(day, after - before) for (_, before), (day, after) in pairwise(scores)]

    assert [(day, move) for day, move in moves if abs(move) > 1] == [], scores


def test_no_alert_is_raised_across_the_month_starts(run: Run, module_engine: Engine) -> None:
    with module_engine.connect() as conn:
        notifications = conn.execute(
            text("SELECT as_of, kind, dedupe_key FROM notifications WHERE business_id = :b"),
            {"b": run.business},
        ).all()

    assert [a.dedupe_key for s in run.scored for a in s.raised] == []
    assert notifications == []


def test_the_months_to_date_start_again_on_each_1st_and_the_score_does_not_follow(
    run: Run,
) -> None:
    by_day = {s.as_of: s for s in run.scored}
    for first in MONTH_STARTS:
        before, after = by_day[first - timedelta(days=1)], by_day[first]
        month_before = before.assessment.inputs["gross_volume_month"]
        month_after = after.assessment.inputs["gross_volume_month"]
        assert isinstance(month_before, int) and isinstance(month_after, int)

        # the month in progress is a day old: a small fraction of the whole month before it
        assert month_after * 10 < month_before, first
        # what the score reads does not start again with it
        assert abs(after.assessment.score.score - before.assessment.score.score) <= 1, first


def test_the_steady_business_stays_strong_and_unheld_every_day(run: Run) -> None:
    # what "steady" means here: in the strong band (SCORING.md) and never under the ceiling
    for s in run.scored:
        score = s.assessment.score
        assert score.score >= 75, (s.as_of, score.to_json())
        assert all(c.key != "dispute_ceiling" for c in score.components), s.as_of
