"""What the dashboard reads: the summary, a metric's series, the lender fit and the score history,
each from the rows the metrics and scoring services stored (numbers worked out by hand in
`tests.api.dashboard_data`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from vaultra.bootstrap import Runtime
from vaultra.domain.lenders import CRITERIA_VERSION

from tests.api.conftest import User
from tests.api.dashboard_data import MRR_BY_DAY, business_of, load_history, score_profile

API = "/api/v1/businesses"
LAST_DAY = date(2026, 6, 3)


def test_a_new_business_has_no_score_and_nothing_synced_yet(
    client: TestClient, alice: User
) -> None:
    business = business_of(alice, client)

    summary = client.get(f"{API}/{business}/summary", headers=alice.headers)

    assert summary.status_code == 200
    body = summary.json()
    assert (body["score"], body["confidence"], body["as_of"], body["data_through"]) == (
        None,
        None,
        None,
        None,
    )
    assert (body["components"], body["top_factors"], body["missing"]) == ([], [], [])
    assert body["last_synced_at"] is None
    assert body["model_version"] == "score-3"
    assert body["sync"] == {
        "stripe_account": None,
        "livemode": None,
        "last_event_at": None,
        "backfill": "not_started",
        "backfill_started_at": None,
        "backfill_finished_at": None,
        "months_imported": 0,
        "objects_imported": 0,
    }


def test_the_summary_is_the_score_the_scoring_service_saved_for_the_latest_day(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    load_history(runtime, business)
    earlier = runtime.readiness.score(business, date(2026, 5, 31))
    latest = runtime.readiness.score(business, LAST_DAY)
    assert earlier is not None and latest is not None

    body = client.get(f"{API}/{business}/summary", headers=alice.headers).json()

    saved = latest.assessment.score
    assert body["as_of"] == "2026-06-03"
    assert (body["score"], body["confidence"]) == (saved.score, saved.confidence)
    assert [c["points"] for c in body["components"]] == [c.points for c in saved.components]
    assert sum(c["points"] for c in body["components"]) == body["score"]
    assert body["top_factors"] == [f.to_json() for f in saved.top_factors]
    assert body["missing"] == list(saved.missing)
    assert body["currency"] == "usd"
    # the latest Stripe data the metrics saw: the charge of 2026-01-10 (states are not data)
    assert body["data_through"] == "2026-01-10T00:00:00Z"
    # when Stripe was last heard from as of that day: its webhooks came in after it (today), so
    # the lower bound, the latest object seen, is what the day can tell
    assert body["last_synced_at"] == "2026-01-10T00:00:00Z"


def test_money_bands_are_in_minor_units_of_the_business_currency(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(runtime, business, LAST_DAY)

    body = client.get(f"{API}/{business}/summary", headers=alice.headers).json()

    [revenue] = [c for c in body["components"] if c["key"] == "revenue_scale"]
    [annual] = revenue["thresholds"]
    # the score's bands are whole dollars: 1M, 500K, 200K … 5K a year, in cents here
    assert (annual["unit"], annual["currency"]) == ("money", "usd")
    assert [b["limit"] for b in annual["bands"]] == [
        100_000_000,
        50_000_000,
        20_000_000,
        12_000_000,
        6_000_000,
        1_200_000,
        500_000,
    ]
    assert annual["value"] == 22_000_000  # PROFILE's 12-month volume, in cents
    [growth] = [c for c in body["components"] if c["key"] == "growth"]
    assert growth["thresholds"][0]["unit"] == "ratio"
    assert growth["thresholds"][0]["bands"][0]["limit"] == 0.10


def test_money_bands_stay_in_us_cents_for_a_business_in_another_currency(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    # 220,000.00 EUR over 12 months; Stripe settled its USD sales at 1 USD = 0.92 EUR
    score_profile(runtime, business, LAST_DAY, "eur", fx_rates_12m={"usd": 920_000}, arr=None)

    body = client.get(f"{API}/{business}/summary", headers=alice.headers).json()

    [revenue] = [c for c in body["components"] if c["key"] == "revenue_scale"]
    [annual] = revenue["thresholds"]
    # The bands are the score's dollars, not euros one to one; the value is the business's own.
    assert (annual["currency"], annual["bands"][2]["limit"]) == ("usd", 20_000_000)
    assert annual["value"] == 22_000_000  # EUR cents
    # 220,000 / 0.92 = 239,130 USD ≥ 200,000: 9 points, and the explanation says at what rate
    assert revenue["points"] == 9
    assert "= 239,130 USD at 1 USD = 0.92 EUR, the rate Stripe applied" in revenue["explanation"]


def test_the_sync_state_names_the_account_the_newest_event_and_the_backfill(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    with runtime.database.transaction() as uow:
        uow.businesses.link(business, "acct_dash", True, None)
        for event_id, created in (
            ("evt_1", "2026-06-01T10:00:00Z"),
            ("evt_2", "2026-06-02T08:30:00Z"),
        ):
            uow.conn.execute(
                text(
                    "INSERT INTO stripe_events (id, account_id, livemode, type, created, source, "
                    "body, status, business_id) VALUES (:id, 'acct_dash', true, 'charge.succeeded', "
                    "CAST(:c AS timestamptz), 'webhook', '{}', 'applied', :b)"
                ),
                {"id": event_id, "c": created, "b": business},
            )
        may, june = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
        july = datetime(2026, 7, 1, tzinfo=UTC)
        # May is complete for both resources; June only for charges
        uow.checkpoints.save(business, "charges", (may, june), "ch_9", 40, completed=True)
        uow.checkpoints.save(business, "refunds", (may, june), "re_2", 2, completed=True)
        uow.checkpoints.save(business, "charges", (june, july), "ch_12", 7, completed=True)
        uow.checkpoints.save(business, "refunds", (june, july), None, 0)
    with runtime.jobs.run("backfill", "message-1", business):
        pass

    sync = client.get(f"{API}/{business}/summary", headers=alice.headers).json()["sync"]

    assert (sync["stripe_account"], sync["livemode"]) == ("acct_dash", True)
    assert sync["last_event_at"] == "2026-06-02T08:30:00Z"
    assert sync["backfill"] == "succeeded"
    assert sync["backfill_started_at"] is not None and sync["backfill_finished_at"] is not None
    assert (sync["months_imported"], sync["objects_imported"]) == (1, 49)  # 40 + 2 + 7 + 0


def test_a_monthly_series_has_each_months_latest_day_and_a_daily_one_every_stored_day(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    load_history(runtime, business)

    monthly = client.get(f"{API}/{business}/metrics/mrr?range=6m", headers=alice.headers).json()
    daily = client.get(
        f"{API}/{business}/metrics/mrr?range=30d&granularity=daily", headers=alice.headers
    ).json()

    # six calendar months ending with June: January's 1st to June 3rd, one point a month
    assert (monthly["start"], monthly["end"]) == ("2026-01-01", "2026-06-03")
    assert (monthly["kind"], monthly["currency"], monthly["granularity"]) == (
        "money",
        "usd",
        "monthly",
    )
    assert [(p["as_of"], p["value"]) for p in monthly["points"]] == [
        ("2026-01-31", 8_700),
        ("2026-02-28", 8_700),
        ("2026-03-31", 18_700),
        ("2026-04-30", 18_700),
        ("2026-05-31", 10_000),
        ("2026-06-03", 10_000),
    ]
    # thirty days ending on June 3rd start on May 5th: every stored day since
    assert daily["start"] == "2026-05-05"
    assert [(p["as_of"], p["value"]) for p in daily["points"]] == [
        (day.isoformat(), mrr) for day, mrr in MRR_BY_DAY.items() if day >= date(2026, 5, 5)
    ]


def test_a_null_value_in_a_series_says_why(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    load_history(runtime, business)

    series = client.get(
        f"{API}/{business}/metrics/dispute_activity_ratio_30d?range=30d", headers=alice.headers
    ).json()

    [last] = [p for p in series["points"] if p["as_of"] == "2026-06-03"]
    assert last["value"] is None and last["note"]  # no charge in the 30 days: nothing to divide


def test_an_unknown_metric_is_named_and_a_bad_range_refused(
    client: TestClient, alice: User
) -> None:
    business = business_of(alice, client)

    unknown = client.get(f"{API}/{business}/metrics/revenue", headers=alice.headers)
    bad_range = client.get(f"{API}/{business}/metrics/mrr?range=7y", headers=alice.headers)
    empty = client.get(f"{API}/{business}/metrics/mrr", headers=alice.headers)

    assert unknown.status_code == 404
    assert "'revenue'" in unknown.json()["detail"]
    assert unknown.headers["content-type"] == "application/problem+json"
    assert bad_range.status_code == 422
    assert bad_range.json()["errors"][0]["location"] == "query.range"
    assert empty.status_code == 200
    assert (empty.json()["points"], empty.json()["start"], empty.json()["end"]) == ([], None, None)


def test_the_lender_fit_is_the_latest_scores_with_its_criteria_version(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    before = client.get(f"{API}/{business}/lender-fit", headers=alice.headers)
    scored = score_profile(runtime, business, LAST_DAY)

    fit = client.get(f"{API}/{business}/lender-fit", headers=alice.headers).json()

    assert before.status_code == 409
    assert before.json()["type"].endswith("/not-scored-yet")
    assert (fit["as_of"], fit["criteria_version"], fit["currency"]) == (
        "2026-06-03",
        CRITERIA_VERSION,
        "usd",
    )
    assert fit["products"] == [f.to_json() for f in scored.assessment.lender_fit]
    assert [p["status"] for p in fit["products"]][:2] == ["eligible", "eligible"]


def test_the_score_history_has_one_point_per_scored_day_under_the_current_model(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    load_history(runtime, business)
    scores = {}
    for day in (date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), LAST_DAY):
        scored = runtime.readiness.score(business, day)
        assert scored is not None
        scores[day.isoformat()] = scored.assessment.score.score
    with runtime.database.transaction() as uow:  # a score of an older model is not mixed in
        uow.conn.execute(
            text(
                "INSERT INTO readiness_scores SELECT business_id, as_of + 1, 'score-1', 3, "
                "confidence, components, top_factors, missing, lender_fit, recommendations, "
                "inputs, lender_criteria_version, metrics_policy_version, metrics_computed_at, "
                "currency, computed_at FROM readiness_scores WHERE business_id = :b"
            ),
            {"b": business},
        )

    everything = client.get(f"{API}/{business}/score-history", headers=alice.headers).json()
    spring = client.get(
        f"{API}/{business}/score-history?from=2026-04-01&to=2026-05-31", headers=alice.headers
    ).json()
    backwards = client.get(
        f"{API}/{business}/score-history?from=2026-06-01&to=2026-05-01", headers=alice.headers
    )

    assert everything["model_version"] == "score-3"
    assert {p["as_of"]: p["score"] for p in everything["points"]} == scores
    assert [p["as_of"] for p in everything["points"]] == sorted(scores)
    assert [p["as_of"] for p in spring["points"]] == ["2026-04-30", "2026-05-31"]
    assert backwards.status_code == 422 and "after" in backwards.json()["detail"]


def test_a_history_is_at_most_ten_years_in_one_answer(client: TestClient, alice: User) -> None:
    business = business_of(alice, client)

    answer = client.get(
        f"{API}/{business}/score-history?from=2000-01-01&to=2026-01-01", headers=alice.headers
    )

    assert answer.status_code == 422


def test_another_tenants_dashboard_is_out_of_reach(
    client: TestClient, alice: User, bob: User, runtime: Runtime
) -> None:
    theirs = business_of(bob, client, "Bob's")
    score_profile(runtime, theirs, LAST_DAY)

    for path in ("summary", "lender-fit", "score-history", "metrics/mrr"):
        answer = client.get(f"{API}/{theirs}/{path}", headers=alice.headers)
        assert answer.status_code == 404, path
        assert "score" not in answer.json().get("detail", "").lower()
    nobody = client.get(f"{API}/{uuid.uuid4()}/summary", headers=alice.headers)
    assert nobody.status_code == 404
    assert client.get(f"{API}/{theirs}/summary", headers=bob.headers).json()["score"] is not None
