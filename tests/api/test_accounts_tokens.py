"""Personal access tokens: read-only, shown once, stored hashed, expiring, revocable, their last
use recorded at most once a minute; another user's token id is 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime

from tests.api.accounts_support import bearer, personal_token
from tests.api.conftest import PASSWORD, User

TOKENS = "/api/v1/tokens"


def test_a_token_is_shown_once_then_listed_by_its_prefix_only(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    created = client.post(
        TOKENS, json={"name": "Claude Desktop", "expires_in_days": 90}, headers=alice.headers
    )
    token = created.json()["token"]

    listed = client.get(TOKENS, headers=alice.headers)
    with runtime.database.snapshot() as uow:
        stored = uow.conn.exec_driver_sql(
            "SELECT token_hash FROM personal_access_tokens"
        ).scalar_one()

    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    assert token.startswith("vlt_pat_") and created.json()["scope"] == "read"
    assert created.json()["prefix"] == token[:12]
    expires = datetime.fromisoformat(created.json()["expires_at"])
    made = datetime.fromisoformat(created.json()["created_at"])
    assert expires - made == timedelta(days=90)
    [item] = listed.json()["items"]
    assert item["name"] == "Claude Desktop" and item["prefix"] == token[:12]
    assert "token" not in item and token not in listed.text
    assert stored != token and len(stored) == 64


def test_a_token_reads_but_never_writes(client: TestClient, alice: User) -> None:
    business = alice.business(client)["id"]
    pat = bearer(personal_token(client, alice))

    reads = [
        client.get("/api/v1/me", headers=pat),
        client.get("/api/v1/businesses", headers=pat),
        client.get(f"/api/v1/businesses/{business}", headers=pat),
        client.get(f"/api/v1/businesses/{business}/members", headers=pat),
        client.get(TOKENS, headers=pat),
    ]
    writes = [
        client.post("/api/v1/businesses", json={"name": "Via token"}, headers=pat),
        client.post(TOKENS, json={"name": "another"}, headers=pat),
        client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            headers=pat,
        ),
        client.post(
            f"/api/v1/businesses/{business}/invitations",
            json={"email": "cfo@example.com", "role": "owner"},
            headers=pat,
        ),
        client.patch(
            f"/api/v1/businesses/{business}/members/{alice.id}",
            json={"role": "viewer"},
            headers=pat,
        ),
        client.delete(f"/api/v1/businesses/{business}/members/{alice.id}", headers=pat),
        client.delete(f"/api/v1/businesses/{business}", headers=pat),
    ]

    assert [r.status_code for r in reads] == [200] * len(reads)
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert all(r.json()["type"].endswith("/read-only-token") for r in writes)
    assert len(client.get(TOKENS, headers=alice.headers).json()["items"]) == 1


def test_a_revoked_or_expired_token_is_refused(client: TestClient, alice: User) -> None:
    revoked = personal_token(client, alice, "revoked")
    [row] = client.get(TOKENS, headers=alice.headers).json()["items"]
    short = personal_token(client, alice, "one day", days=1)

    gone = client.delete(f"{TOKENS}/{row['id']}", headers=alice.headers)
    again = client.delete(f"{TOKENS}/{row['id']}", headers=alice.headers)

    assert gone.status_code == 204 and again.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(revoked)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(short)).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1, seconds=1), tick=False):
        assert client.get("/api/v1/me", headers=bearer(short)).status_code == 401
    assert [t["name"] for t in client.get(TOKENS, headers=alice.headers).json()["items"]] == [
        "one day"
    ]


def test_another_users_token_id_is_404_and_their_token_keeps_working(
    client: TestClient, alice: User, bob: User
) -> None:
    bobs = personal_token(client, bob, "bob's script")
    [bobs_row] = client.get(TOKENS, headers=bob.headers).json()["items"]

    answer = client.delete(f"{TOKENS}/{bobs_row['id']}", headers=alice.headers)
    alices_list = client.get(TOKENS, headers=alice.headers)

    assert answer.status_code == 404
    assert "bob" not in answer.text.lower()
    assert alices_list.json()["items"] == []
    assert client.get("/api/v1/me", headers=bearer(bobs)).json()["email"] == bob.email


def test_the_last_use_is_recorded_at_most_once_a_minute(client: TestClient, alice: User) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        pat = bearer(personal_token(client, alice))

        def last_used() -> str | None:
            [item] = client.get(TOKENS, headers=alice.headers).json()["items"]
            return item["last_used_at"]

        assert last_used() is None
        client.get("/api/v1/me", headers=pat)
        first = last_used()
        clock.shift(timedelta(seconds=30))
        client.get("/api/v1/me", headers=pat)
        within_a_minute = last_used()
        clock.shift(timedelta(seconds=31))
        client.get("/api/v1/me", headers=pat)
        later = last_used()

    assert first is not None and datetime.fromisoformat(first) == start
    assert within_a_minute == first
    assert later is not None and datetime.fromisoformat(later) == start + timedelta(seconds=61)


def test_a_name_or_lifetime_out_of_bounds_is_refused(client: TestClient, alice: User) -> None:
    for body in (
        {"name": "", "expires_in_days": 30},
        {"name": "x", "expires_in_days": 366},
        {"name": "x", "expires_in_days": 0},
        {"name": "x" * 101},
        {"name": "bell\x07inside"},
        {"name": "x", "scope": "write"},
    ):
        answer = client.post(TOKENS, json=body, headers=alice.headers)
        assert answer.status_code == 422, body
    assert client.get(TOKENS, headers=alice.headers).json()["items"] == []


def test_creating_and_revoking_are_in_the_audit_log(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    personal_token(client, alice)
    [row] = client.get(TOKENS, headers=alice.headers).json()["items"]
    client.delete(f"{TOKENS}/{row['id']}", headers=alice.headers)

    with runtime.database.snapshot() as uow:
        entries = uow.audit.of_user(uuid.UUID(alice.id))[:2]

    assert [e.action for e in entries] == ["token.revoked", "token.created"]
    assert all(e.detail == {"token_id": row["id"]} for e in entries)
