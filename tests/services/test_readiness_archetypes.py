"""The demo generator's archetypes, ingested through the backfill and scored through the real
services, land in the bands docs/SCORING.md wrote down before the model was tuned."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from vaultra.db.embedded import drop_database, ensure_database
from vaultra.db.engine import engine_for_url
from vaultra.domain.scoring.score import Score
from vaultra.sample_data.generator import generate

from tests.services.test_ingest_equivalence import link
from tests.services.test_metrics_on_generated_histories import backfill
from tests.support.services import metrics, readiness

NOW = int(datetime(2026, 11, 26, 6, tzinfo=UTC).timestamp())
DAY = datetime.fromtimestamp(NOW, UTC).date()

# (lowest, highest) — docs/SCORING.md, "Expected bands of the demo archetypes"
BANDS = {
    "steady_saas": (75, 100),
    "seasonal_ecommerce": (60, 79),
    "early_stage": (35, 59),
    "risky_merchant": (0, 45),
}


@pytest.fixture(scope="module")
def module_engine(pg_admin_url: str, template_database: str) -> Iterator[Engine]:
    """One database for the module: the four histories take a while to import."""
    name = f"vaultra_bands_{uuid.uuid4().hex[:8]}"
    ensure_database(pg_admin_url, name, template=template_database)
    engine = engine_for_url(make_url(pg_admin_url).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    drop_database(pg_admin_url, name)


@pytest.fixture(scope="module")
def scores(module_engine: Engine) -> dict[str, Score]:
    found = {}
    for archetype in BANDS:
        history = generate(archetype, seed=7, now=NOW, account=f"acct_1Bands{archetype}")
        account = link(module_engine, history.account)
        backfill(module_engine, history, account, now=NOW)
        metrics(module_engine).refresh(account.business_id, DAY)
        scored = readiness(module_engine).score(account.business_id, DAY)
        assert scored is not None
        found[archetype] = scored.assessment.score
    return found


@pytest.mark.parametrize("archetype", sorted(BANDS))
def test_each_archetype_lands_in_the_band_written_down_before_tuning(
    scores: dict[str, Score], archetype: str
) -> None:
    low, high = BANDS[archetype]

    assert low <= scores[archetype].score <= high, scores[archetype].to_json()


def test_the_bands_are_ordered_steady_above_seasonal_above_early_above_risky(
    scores: dict[str, Score],
) -> None:
    order = ["steady_saas", "seasonal_ecommerce", "early_stage", "risky_merchant"]

    assert [scores[a].score for a in order] == sorted(
        (scores[a].score for a in order), reverse=True
    )


def test_early_stage_is_held_back_by_history_and_the_risky_merchant_by_disputes(
    scores: dict[str, Score],
) -> None:
    early = [f.key for f in scores["early_stage"].top_factors]
    risky = scores["risky_merchant"]

    assert "history" in early
    assert risky.top_factors[0].key in ("payment_risk", "dispute_ceiling")
    assert any(c.key == "dispute_ceiling" for c in risky.components)


def test_the_seasonal_shop_is_scored_on_year_on_year_growth_not_its_upswing(
    scores: dict[str, Score],
) -> None:
    [growth] = scores["seasonal_ecommerce"].component("growth").criteria
    inputs = dict(scores["seasonal_ecommerce"].component("growth").inputs)

    # two years of history: the same quarter a year apart decides, not six months to a peak
    assert growth.metric == "cmgr_yoy"
    assert inputs["cmgr_yoy"] < inputs["cmgr_6m"]
    # the steady business has a year to compare too; the early stage has none
    assert scores["steady_saas"].component("growth").inputs[0][0] == "cmgr_yoy"
    assert dict(scores["early_stage"].component("growth").inputs)["cmgr_yoy"] is None


def test_no_archetype_has_24_complete_months_so_stability_reads_the_plain_cv(
    scores: dict[str, Score],
) -> None:
    # The generator's two years are 24 × 30.44 days: as of 26 November 2026 the seasonal shop's
    # first sale is in late November 2024, inside the first of the 24 complete months (November
    # 2024 … October 2026). No month of it is known to be whole, so there is no seasonal index
    # and stability reads the plain CV for every archetype, as before.
    for archetype, score in scores.items():
        [stability] = score.component("stability").criteria
        inputs = dict(score.component("stability").inputs)
        assert stability.metric == "revenue_volatility_cv_12m", archetype
        assert inputs["revenue_volatility_cv_12m_seasonally_adjusted"] is None, archetype
