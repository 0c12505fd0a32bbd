"""Notifications through the API: newest first a page at a time with the unread count, marked
read one by one or all at once by an owner, and never reachable through another tenant."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.domain.alerts import Alert

from tests.api.conftest import User
from tests.api.dashboard_data import business_of, score_profile

API = "/api/v1/businesses"
DAY = date(2026, 6, 3)


def raise_alerts(runtime: Runtime, business: uuid.UUID, count: int) -> list[str]:
    """`count` alerts, each raised in its own transaction (so each is newer than the one
    before), as the scoring service raises them; their titles, oldest first."""
    titles = []
    for n in range(count):
        alert = Alert("stale_data", f"stale_data:{n}", "warning", f"Alert {n}", "No new data.")
        with runtime.database.transaction() as uow:
            uow.readiness.raise_alerts(business, DAY, [alert])
        titles.append(alert.title)
    return titles


def test_notifications_come_newest_first_a_page_at_a_time_with_the_unread_count(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    titles = raise_alerts(runtime, business, 5)
    url = f"{API}/{business}/notifications"

    first = client.get(f"{url}?limit=2", headers=alice.headers).json()
    second = client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=alice.headers)
    third = client.get(
        f"{url}?limit=2&cursor={second.json()['next_cursor']}", headers=alice.headers
    ).json()
    huge = client.get(f"{url}?limit=1000", headers=alice.headers)
    forged = client.get(f"{url}?cursor=not-ours", headers=alice.headers)

    pages = [first, second.json(), third]
    assert [n["title"] for page in pages for n in page["items"]] == titles[::-1]
    assert third["next_cursor"] is None
    assert {page["unread"] for page in pages} == {5}
    assert huge.status_code == 422 and forged.status_code == 400


def test_an_alert_the_scoring_raised_is_listed_with_its_figures(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    score_profile(
        runtime, business, DAY, payouts_failed_90d=1, last_payout_failure_at="2026-06-01T00:00:00Z"
    )

    [payout] = client.get(f"{API}/{business}/notifications", headers=alice.headers).json()["items"]

    assert (payout["kind"], payout["severity"], payout["as_of"]) == (
        "payout_failed",
        "critical",
        "2026-06-03",
    )
    assert payout["data"] == {"arrival_date": "2026-06-01T00:00:00Z"}
    assert payout["read_at"] is None


def test_marking_one_read_keeps_its_first_read_time_and_marking_all_reads_the_rest(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    raise_alerts(runtime, business, 3)
    url = f"{API}/{business}/notifications"
    newest = client.get(url, headers=alice.headers).json()["items"][0]

    once = client.post(f"{url}/{newest['id']}/read", headers=alice.headers)
    twice = client.post(f"{url}/{newest['id']}/read", headers=alice.headers)
    unread = client.get(f"{url}?unread_only=true", headers=alice.headers).json()
    everything = client.post(f"{url}/read-all", headers=alice.headers)
    after = client.get(url, headers=alice.headers).json()

    assert once.status_code == 200 and once.json()["read_at"] is not None
    assert twice.json()["read_at"] == once.json()["read_at"]
    assert (len(unread["items"]), unread["unread"]) == (2, 2)
    assert newest["id"] not in [n["id"] for n in unread["items"]]
    assert everything.json() == {"marked": 2}
    assert after["unread"] == 0 and all(n["read_at"] for n in after["items"])


def test_a_viewer_reads_notifications_but_only_an_owner_marks_them(
    client: TestClient, alice: User, bob: User, runtime: Runtime
) -> None:
    business = business_of(alice, client)
    raise_alerts(runtime, business, 1)
    with runtime.database.transaction() as uow:
        uow.memberships.add(business, uuid.UUID(bob.id), "viewer")
    url = f"{API}/{business}/notifications"

    listed = client.get(url, headers=bob.headers).json()
    one = client.post(f"{url}/{listed['items'][0]['id']}/read", headers=bob.headers)
    every = client.post(f"{url}/read-all", headers=bob.headers)

    assert listed["unread"] == 1
    assert one.status_code == 403 and every.status_code == 403
    assert client.get(url, headers=alice.headers).json()["unread"] == 1


def test_another_tenants_notification_ids_answer_404_and_stay_unread(
    client: TestClient, alice: User, bob: User, runtime: Runtime
) -> None:
    mine = business_of(alice, client)
    theirs = business_of(bob, client, "Bob's")
    raise_alerts(runtime, theirs, 1)
    [their_alert] = client.get(f"{API}/{theirs}/notifications", headers=bob.headers).json()["items"]

    through_mine = client.post(
        f"{API}/{mine}/notifications/{their_alert['id']}/read", headers=alice.headers
    )
    through_theirs = client.post(
        f"{API}/{theirs}/notifications/{their_alert['id']}/read", headers=alice.headers
    )
    all_of_theirs = client.post(f"{API}/{theirs}/notifications/read-all", headers=alice.headers)
    listed = client.get(f"{API}/{theirs}/notifications", headers=alice.headers)

    for answer in (through_mine, through_theirs, all_of_theirs, listed):
        assert answer.status_code == 404
        assert "Alert" not in answer.text
    assert through_mine.json()["detail"] == "no such notification"
    assert client.get(f"{API}/{theirs}/notifications", headers=bob.headers).json()["unread"] == 1
    assert client.get(f"{API}/{mine}/notifications", headers=alice.headers).json()["items"] == []
