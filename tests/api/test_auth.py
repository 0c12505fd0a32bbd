"""Accounts through the API: sign up and sign in at once, refresh tokens rotated with reuse
detection, sign-out revoking, and errors that tell an attacker nothing."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime

from tests.api.conftest import PASSWORD, User, forged_token

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def test_signing_up_then_in_gives_a_bearer_token_that_names_the_user(client: TestClient) -> None:
    created = client.post(SIGNUP, json={"email": " Founder@Example.com ", "password": PASSWORD})
    login = client.post(LOGIN, json={"email": "founder@example.com", "password": PASSWORD})

    assert created.status_code == 201
    assert created.json()["email"] == "founder@example.com" and not created.json()["email_verified"]
    assert login.status_code == 200
    body = login.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["id"] == created.json()["id"]


def test_the_refresh_cookie_is_secure_http_only_strict_and_scoped_to_auth(
    client: TestClient,
) -> None:
    client.post(SIGNUP, json={"email": "a@example.com", "password": PASSWORD})

    login = client.post(LOGIN, json={"email": "a@example.com", "password": PASSWORD})

    cookie = login.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/v1/auth"):
        assert flag.lower() in cookie.lower(), cookie
    assert login.headers["cache-control"] == "no-store"


def test_an_address_is_taken_once(client: TestClient) -> None:
    client.post(SIGNUP, json={"email": "a@example.com", "password": PASSWORD})

    again = client.post(SIGNUP, json={"email": "A@example.com", "password": PASSWORD})

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["title"] == "Conflict"


def test_a_weak_password_or_a_bad_address_is_refused_naming_the_rule(client: TestClient) -> None:
    short = client.post(SIGNUP, json={"email": "a@example.com", "password": "short"})
    not_an_address = client.post(SIGNUP, json={"email": "not an address", "password": PASSWORD})
    extra = client.post(
        SIGNUP, json={"email": "a@example.com", "password": PASSWORD, "admin": True}
    )

    assert short.status_code == 422 and "at least 10 characters" in short.json()["detail"]
    assert not_an_address.status_code == 422 and "email" in not_an_address.json()["detail"]
    assert extra.status_code == 422
    assert [e["location"] for e in extra.json()["errors"]] == ["body.admin"]


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client: TestClient) -> None:
    client.post(SIGNUP, json={"email": "a@example.com", "password": PASSWORD})

    wrong = client.post(LOGIN, json={"email": "a@example.com", "password": "wrong password!"})
    unknown = client.post(LOGIN, json={"email": "z@example.com", "password": PASSWORD})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == {**unknown.json()}


def test_a_refresh_token_is_rotated_and_a_reused_one_ends_the_session(
    client: TestClient, alice: User
) -> None:
    first = client.post(REFRESH, json={"refresh_token": alice.refresh_token})
    assert first.status_code == 200
    rotated = first.cookies.get("vaultra_refresh")
    assert rotated and rotated != alice.refresh_token
    second = client.post(REFRESH, json={"refresh_token": rotated})
    assert second.status_code == 200  # the session moved on: alice's first token is spent

    stolen = client.post(REFRESH, json={"refresh_token": alice.refresh_token})
    after = client.post(REFRESH, json={"refresh_token": second.cookies.get("vaultra_refresh")})

    assert stolen.status_code == 401
    assert after.status_code == 401  # the whole family was revoked


def test_a_browser_that_lost_the_answer_to_a_refresh_may_retry_it_at_once(
    client: TestClient, alice: User
) -> None:
    lost = client.post(REFRESH, json={"refresh_token": alice.refresh_token})
    assert lost.status_code == 200  # a navigation cancelled the request: the cookie never came

    retried = client.post(REFRESH, json={"refresh_token": alice.refresh_token})
    assert retried.status_code == 200
    renewed = client.post(REFRESH, json={"refresh_token": retried.cookies.get("vaultra_refresh")})
    assert renewed.status_code == 200
    late = client.post(REFRESH, json={"refresh_token": lost.cookies.get("vaultra_refresh")})
    assert late.status_code == 401  # the lost token was retired by the retry


def test_signing_out_revokes_the_session(client: TestClient, alice: User) -> None:
    out = client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token})

    assert out.status_code == 204
    assert client.post(REFRESH, json={"refresh_token": alice.refresh_token}).status_code == 401


def test_forged_expired_and_foreign_tokens_are_refused(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    secret = runtime._jwt_secret()
    for token in (
        forged_token(alice.id),  # signed with another key
        forged_token(alice.id, secret=secret, expired=True),
        forged_token(alice.id, secret=secret, audience="vaultra-mcp"),
        alice.token + "x",
        "not-a-token",
    ):
        answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, token
        assert answer.headers["www-authenticate"].startswith("Bearer")
    ok = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {forged_token(alice.id, secret=secret)}"}
    )
    assert ok.status_code == 200  # the same claims, rightly signed


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    answer = client.get("/api/v1/me")

    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_sign_up_sign_in_sign_out_and_a_reused_token_are_in_the_audit_log(
    client: TestClient, alice: User, runtime: Runtime
) -> None:
    rotated = client.post(REFRESH, json={"refresh_token": alice.refresh_token})
    client.post(REFRESH, json={"refresh_token": rotated.cookies.get("vaultra_refresh")})
    client.post(REFRESH, json={"refresh_token": alice.refresh_token})  # reused
    client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token})

    with runtime.database.snapshot() as uow:
        actions = [e.action for e in reversed(uow.audit.of_user(uuid.UUID(alice.id)))]

    assert actions == ["account.created", "login", "session.reuse_detected", "logout"]
