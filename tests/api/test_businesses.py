"""Businesses through the API: created by their owner, listed a page at a time, renamed and
deleted only by an owner, and never reachable by another tenant."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.conftest import User


def test_a_business_is_created_owned_and_read_back(client: TestClient, alice: User) -> None:
    created = alice.business(client, "  Acme   Analytics ")

    got = client.get(f"/api/v1/businesses/{created['id']}", headers=alice.headers)

    assert created["name"] == "Acme Analytics" and created["role"] == "owner"
    assert created["stripe"] is None
    assert got.status_code == 200 and got.json() == created


def test_the_list_pages_with_a_cursor_and_caps_the_page(client: TestClient, alice: User) -> None:
    made = [alice.business(client, f"B{n}")["id"] for n in range(5)]

    first = client.get("/api/v1/businesses?limit=2", headers=alice.headers).json()
    second = client.get(
        f"/api/v1/businesses?limit=2&cursor={first['next_cursor']}", headers=alice.headers
    ).json()
    third = client.get(
        f"/api/v1/businesses?limit=2&cursor={second['next_cursor']}", headers=alice.headers
    ).json()
    huge = client.get("/api/v1/businesses?limit=100000", headers=alice.headers)
    forged = client.get("/api/v1/businesses?cursor=not-ours", headers=alice.headers)

    assert [b["id"] for b in first["items"] + second["items"] + third["items"]] == made
    assert third["next_cursor"] is None
    assert huge.status_code == 422 and forged.status_code == 400


def test_another_tenants_business_does_not_exist_for_you(
    client: TestClient, alice: User, bob: User
) -> None:
    theirs = bob.business(client, "Bob's")["id"]

    for method, body in (("GET", None), ("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        answer = client.request(
            method, f"/api/v1/businesses/{theirs}", json=body, headers=alice.headers
        )
        assert answer.status_code == 404, method
    nobody = client.get(f"/api/v1/businesses/{uuid.uuid4()}", headers=alice.headers)
    assert nobody.status_code == 404 and nobody.json()["detail"] == "no such business"
    assert client.get("/api/v1/businesses", headers=alice.headers).json()["items"] == []
    assert client.get(f"/api/v1/businesses/{theirs}", headers=bob.headers).json()["name"] == "Bob's"


def test_a_viewer_may_read_but_not_rename_or_delete(
    client: TestClient, alice: User, bob: User, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO memberships (business_id, user_id, role) VALUES (:b, :u, 'viewer')"),
            {"b": business, "u": bob.id},
        )

    read = client.get(f"/api/v1/businesses/{business}", headers=bob.headers)
    rename = client.patch(f"/api/v1/businesses/{business}", json={"name": "x"}, headers=bob.headers)
    delete = client.delete(f"/api/v1/businesses/{business}", headers=bob.headers)

    assert read.status_code == 200 and read.json()["role"] == "viewer"
    assert rename.status_code == delete.status_code == 403


def test_deleting_a_business_takes_its_data_with_it(
    client: TestClient, alice: User, engine: Engine
) -> None:
    business = alice.business(client)["id"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO stripe_events (id, source, body, status, business_id) "
                "VALUES ('evt_1', 'webhook', '{}', 'applied', :b)"
            ),
            {"b": business},
        )

    deleted = client.delete(f"/api/v1/businesses/{business}", headers=alice.headers)

    assert deleted.status_code == 204
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM businesses) + (SELECT count(*) FROM memberships) "
                "+ (SELECT count(*) FROM stripe_events)"
            )
        ).scalar_one()
    assert left == 0
    assert client.get(f"/api/v1/businesses/{business}", headers=alice.headers).status_code == 404
