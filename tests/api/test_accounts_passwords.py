"""Passwords: a change ends every other session; a reset, for who cannot sign in, mails a
single-use link valid for an hour and ends every session and personal access token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime

from tests.api.accounts_support import bearer, inbox, personal_token, token_in_latest
from tests.api.conftest import PASSWORD, User

CHANGE = "/api/v1/me/password"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a brand new passphrase"


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post(LOGIN, json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"access": answer.json()["access_token"], "refresh": answer.cookies["vaultra_refresh"]}


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    client: TestClient, alice: User
) -> None:
    other = sign_in(client, alice.email)  # the same person on another device
    start = datetime.now(UTC)
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        changed = client.post(
            CHANGE,
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=alice.headers,
        )
        new_access = changed.json()["access_token"]

        assert changed.status_code == 200
        assert client.get("/api/v1/me", headers=bearer(new_access)).status_code == 200
        assert client.get("/api/v1/me", headers=bearer(other["access"])).status_code == 401
        assert client.get("/api/v1/me", headers=alice.headers).status_code == 401
        assert client.post(REFRESH, json={"refresh_token": other["refresh"]}).status_code == 401
        assert client.post(REFRESH, json={"refresh_token": alice.refresh_token}).status_code == 401
        rotated = client.post(REFRESH, json={"refresh_token": changed.cookies["vaultra_refresh"]})
        assert rotated.status_code == 200
        old = client.post(LOGIN, json={"email": alice.email, "password": PASSWORD})
        assert old.status_code == 401
        assert (
            client.post(LOGIN, json={"email": alice.email, "password": NEW_PASSWORD}).status_code
            == 200
        )


def test_a_wrong_current_or_weak_new_password_changes_nothing(
    client: TestClient, alice: User
) -> None:
    wrong = client.post(
        CHANGE,
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )
    weak = client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": "short"}, headers=alice.headers
    )
    same = client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=alice.headers
    )

    assert wrong.status_code == 403 and wrong.json()["type"].endswith("/wrong-password")
    assert weak.status_code == 422 and "at least 10" in weak.json()["detail"]
    assert same.status_code == 422 and "differ" in same.json()["detail"]
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200
    assert client.post(REFRESH, json={"refresh_token": alice.refresh_token}).status_code == 200


def test_a_reset_is_asked_for_with_the_same_answer_whether_the_account_exists_or_not(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    known = client.post(RESET, json={"email": alice.email})
    unknown = client.post(RESET, json={"email": "nobody@example.com"})
    not_an_address = client.post(RESET, json={"email": "not an address"})

    assert known.status_code == unknown.status_code == not_an_address.status_code == 202
    assert known.content == unknown.content == b""
    assert inbox(runtime, alice.email)[0].subject == "Reset your Vaultra password"
    assert inbox(runtime, "nobody@example.com") == []


def test_a_reset_sets_the_password_and_ends_every_session_and_personal_token(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    pat = personal_token(client, alice)
    other = sign_in(client, alice.email)
    client.post(RESET, json={"email": alice.email})
    token = token_in_latest(runtime, alice.email, "Reset your")

    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2), tick=False):
        done = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

        assert done.status_code == 204
        assert client.post(REFRESH, json={"refresh_token": other["refresh"]}).status_code == 401
        assert client.get("/api/v1/me", headers=alice.headers).status_code == 401
        assert client.get("/api/v1/me", headers=bearer(pat)).status_code == 401
        fresh = sign_in(client, alice.email, NEW_PASSWORD)
        me = client.get("/api/v1/me", headers=bearer(fresh["access"])).json()
        assert me["email_verified"] is True  # the mail proved the address
    with runtime.database.snapshot() as uow:
        actions = [e.action for e in uow.audit.of_user(uuid.UUID(alice.id))][:3]
    assert actions[1:] == ["password.reset", "password.reset_requested"]


def test_a_stolen_reset_link_works_once(client: TestClient, runtime: Runtime, alice: User) -> None:
    client.post(RESET, json={"email": alice.email})
    token = token_in_latest(runtime, alice.email, "Reset your")

    first = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    second = client.post(CONFIRM, json={"token": token, "new_password": "the thief's passphrase"})

    assert first.status_code == 204
    assert second.status_code == 400 and second.json()["type"].endswith("/invalid-token")
    assert (
        client.post(LOGIN, json={"email": alice.email, "password": NEW_PASSWORD}).status_code == 200
    )


def test_a_reset_link_expires_after_an_hour(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client.post(RESET, json={"email": alice.email})
        token = token_in_latest(runtime, alice.email, "Reset your")
        clock.shift(timedelta(hours=1, seconds=1))

        late = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert late.status_code == 400
    assert client.post(LOGIN, json={"email": alice.email, "password": PASSWORD}).status_code == 200


def test_a_weak_new_password_leaves_the_reset_link_usable(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    client.post(RESET, json={"email": alice.email})
    token = token_in_latest(runtime, alice.email, "Reset your")

    weak = client.post(CONFIRM, json={"token": token, "new_password": "short"})
    strong = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert weak.status_code == 422 and weak.json()["type"].endswith("/weak-password")
    assert strong.status_code == 204


def test_only_the_latest_reset_link_works(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    client.post(RESET, json={"email": alice.email})
    first = token_in_latest(runtime, alice.email, "Reset your")
    client.post(RESET, json={"email": alice.email})
    second = token_in_latest(runtime, alice.email, "Reset your")

    assert (
        client.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD}).status_code == 400
    )
    assert (
        client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD}).status_code
        == 204
    )
