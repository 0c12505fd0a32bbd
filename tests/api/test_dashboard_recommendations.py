"""Recommendations through the API: the plan the latest score stored, this week's three, and the
owner's status — which survives a recompute, is the owner's alone to set, and is never reachable
through another tenant's business."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from vaultra.bootstrap import Runtime

from tests.api.conftest import User
from tests.api.dashboard_data import business_of, score_profile

API = "/api/v1/businesses"
DAY = date(2026, 6, 3)
D = Decimal
# Disputes at 0.8 %, refunds at 7 %, churn at 5 %, a top customer at 40 %: four actions, which
# the plan ranks by gain per effort — disputes (+4, medium), refunds (+2, medium), churn (+2,
# high), customers (+1, high).
RISKY: dict[str, Any] = {
    "dispute_activity_ratio_30d": D("0.008"),
    "refund_rate_90d": D("0.07"),
    "customer_churn_rate_3m": D("0.05"),
    "top_customer_share_12m": D("0.4"),
    "top5_customer_share_12m": D("0.6"),
}
PLAN = ["reduce_disputes", "lower_refunds", "reduce_churn", "diversify_customers"]


def status_of(client: TestClient, user: User, business: object, key: str) -> dict[str, Any]:
    items = client.get(f"{API}/{business}/recommendations", headers=user.headers).json()["items"]
    return next(r for r in items if r["key"] == key)


def test_the_list_is_the_stored_plan_with_this_weeks_first_three(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    empty = client.get(f"{API}/{business}/recommendations", headers=alice.headers).json()
    scored = score_profile(runtime, business, DAY, **RISKY)

    items = client.get(f"{API}/{business}/recommendations", headers=alice.headers).json()["items"]

    assert empty == {"items": []}
    assert [r["key"] for r in items] == PLAN == [r.key for r in scored.recommendations]
    assert [r["rank"] for r in items] == [1, 2, 3, 4]
    assert [r["expected_gain"] for r in items] == [4, 2, 2, 1]
    assert [r["this_week"] for r in items] == [True, True, True, False]
    assert {r["status"] for r in items} == {"open"}
    assert items[0]["trigger"] and items[0]["as_of"] == "2026-06-03"


def test_marking_one_done_takes_it_out_of_this_weeks_plan_and_survives_a_recompute(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(runtime, business, DAY, **RISKY)

    done = client.put(
        f"{API}/{business}/recommendations/reduce_disputes/status",
        json={"status": "done"},
        headers=alice.headers,
    )
    score_profile(runtime, business, DAY, **RISKY)  # the pipeline scores the day again
    items = client.get(f"{API}/{business}/recommendations", headers=alice.headers).json()["items"]

    assert done.status_code == 200
    assert (done.json()["status"], done.json()["this_week"]) == ("done", False)
    assert done.json()["status_changed_at"] is not None
    assert [(r["key"], r["status"], r["this_week"]) for r in items] == [
        ("reduce_disputes", "done", False),
        ("lower_refunds", "open", True),
        ("reduce_churn", "open", True),
        ("diversify_customers", "open", True),
    ]
    with runtime.database.snapshot() as uow:
        [entry] = [e for e in uow.audit.of_user(uuid.UUID(alice.id)) if e.action.startswith("rec")]
    assert (entry.action, entry.detail) == (
        "recommendation.status_set",
        {"key": "reduce_disputes", "status": "done"},
    )


def test_an_unknown_or_malformed_key_and_an_unknown_status_are_refused(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(runtime, business, DAY, **RISKY)
    url = f"{API}/{business}/recommendations"

    unknown = client.put(
        f"{url}/grow_faster/status", json={"status": "done"}, headers=alice.headers
    )
    malformed = client.put(
        f"{url}/DROP%20TABLE/status", json={"status": "done"}, headers=alice.headers
    )
    bad_status = client.put(
        f"{url}/lower_refunds/status", json={"status": "finished"}, headers=alice.headers
    )
    extra = client.put(
        f"{url}/lower_refunds/status", json={"status": "done", "rank": 1}, headers=alice.headers
    )

    assert unknown.status_code == 404 and "'grow_faster'" in unknown.json()["detail"]
    assert malformed.status_code == 422
    assert bad_status.status_code == 422 and extra.status_code == 422
    assert status_of(client, alice, business, "lower_refunds")["status"] == "open"


def test_a_retired_recommendation_cannot_be_marked(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(runtime, business, DAY, **RISKY)
    score_profile(runtime, business, DAY)  # disputes back to normal: reduce_disputes retires

    answer = client.put(
        f"{API}/{business}/recommendations/reduce_disputes/status",
        json={"status": "done"},
        headers=alice.headers,
    )

    assert answer.status_code == 404


def test_a_viewer_reads_the_plan_but_only_an_owner_marks_it(
    client: TestClient, alice: User, bob: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(runtime, business, DAY, **RISKY)
    with runtime.database.transaction() as uow:
        uow.memberships.add(business, uuid.UUID(bob.id), "viewer")

    read = client.get(f"{API}/{business}/recommendations", headers=bob.headers)
    marked = client.put(
        f"{API}/{business}/recommendations/lower_refunds/status",
        json={"status": "dismissed"},
        headers=bob.headers,
    )

    assert read.status_code == 200 and len(read.json()["items"]) == 4
    assert marked.status_code == 403
    assert status_of(client, alice, business, "lower_refunds")["status"] == "open"


def test_another_tenants_recommendation_keys_answer_404_and_stay_as_they_were(
    client: TestClient, alice: User, bob: User, runtime: Runtime
) -> None:
    mine = business_of(alice, client)
    theirs = business_of(bob, client, "Bob's")
    score_profile(runtime, theirs, DAY, **RISKY)

    through_theirs = client.put(
        f"{API}/{theirs}/recommendations/lower_refunds/status",
        json={"status": "dismissed"},
        headers=alice.headers,
    )
    # the same key exists for Bob; through Alice's own business it is not Bob's row
    through_mine = client.put(
        f"{API}/{mine}/recommendations/lower_refunds/status",
        json={"status": "dismissed"},
        headers=alice.headers,
    )
    listed = client.get(f"{API}/{theirs}/recommendations", headers=alice.headers)

    assert through_theirs.status_code == 404 and through_mine.status_code == 404
    assert listed.status_code == 404
    assert through_theirs.json()["detail"] == listed.json()["detail"] == "no such business"
    assert "Bob" not in through_theirs.text + through_mine.text + listed.text
    assert status_of(client, bob, theirs, "lower_refunds")["status"] == "open"
    with runtime.database.snapshot() as uow:
        statuses = uow.conn.execute(
            text("SELECT DISTINCT status FROM recommendations WHERE business_id = :b"),
            {"b": theirs},
        ).scalars()
        assert list(statuses) == ["open"]
