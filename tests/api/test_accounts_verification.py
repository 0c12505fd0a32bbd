"""Email verification: a single-use, expiring link mailed at sign-up; it never blocks signing in
or using the account, and gates what reaches outside it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.services.email_verification import EmailNotVerified

from tests.api.accounts_support import inbox, token_in_latest, verify
from tests.api.conftest import User

VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"


def test_sign_up_mails_a_link_that_verifies_the_address_once(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    token = token_in_latest(runtime, alice.email, "Confirm your email")

    first = client.post(VERIFY, json={"token": token})
    again = client.post(VERIFY, json={"token": token})

    assert token.startswith("vlt_ev_")
    assert first.status_code == 200 and first.json()["email_verified"] is True
    assert client.get("/api/v1/me", headers=alice.headers).json()["email_verified"] is True
    assert again.status_code == 400 and again.json()["type"].endswith("/invalid-token")


def test_only_the_tokens_hash_is_stored(runtime: Runtime, alice: User) -> None:
    token = token_in_latest(runtime, alice.email, "Confirm your email")

    with runtime.database.snapshot() as uow:
        stored = uow.conn.exec_driver_sql("SELECT token_hash FROM user_tokens").scalars().all()

    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_an_expired_link_does_not_verify(client: TestClient, runtime: Runtime) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        user = User(client, "late@example.com")
        token = token_in_latest(runtime, user.email, "Confirm your email")
        clock.shift(timedelta(hours=24, seconds=1))

        late = client.post(VERIFY, json={"token": token})

    assert late.status_code == 400
    assert client.get("/api/v1/me", headers=user.headers).json()["email_verified"] is False


def test_asking_again_mails_a_new_link_and_the_old_one_stops_working(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    old = token_in_latest(runtime, alice.email, "Confirm your email")

    resent = client.post(RESEND, headers=alice.headers)
    new = token_in_latest(runtime, alice.email, "Confirm your email")

    assert resent.status_code == 202 and new != old
    assert client.post(VERIFY, json={"token": old}).status_code == 400
    assert client.post(VERIFY, json={"token": new}).status_code == 200
    assert client.post(RESEND, headers=alice.headers).status_code == 409  # verified already


def test_an_unverified_account_signs_in_and_makes_businesses(
    client: TestClient, alice: User
) -> None:
    created = client.post(
        "/api/v1/businesses", json={"name": "Unverified Co"}, headers=alice.headers
    )

    assert created.status_code == 201
    assert client.get("/api/v1/me", headers=alice.headers).json()["email_verified"] is False


def test_the_gate_other_areas_call_refuses_an_unverified_user_then_lets_them_pass(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    gate = runtime.email_verification
    with pytest.raises(EmailNotVerified):
        gate.require_verified(uuid.UUID(alice.id))

    verify(client, runtime, alice)

    gate.require_verified(uuid.UUID(alice.id))  # no longer raises


def test_inviting_needs_a_verified_address_and_says_so(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    business = alice.business(client)["id"]
    invite = {"email": "cfo@example.com", "role": "viewer"}

    before = client.post(
        f"/api/v1/businesses/{business}/invitations", json=invite, headers=alice.headers
    )
    verify(client, runtime, alice)
    after = client.post(
        f"/api/v1/businesses/{business}/invitations", json=invite, headers=alice.headers
    )

    assert before.status_code == 403
    assert before.json()["type"].endswith("/email-not-verified")
    assert before.headers["content-type"] == "application/problem+json"
    assert after.status_code == 201
    assert len(inbox(runtime, "cfo@example.com")) == 1


def test_verification_is_in_the_audit_log(
    client: TestClient, runtime: Runtime, alice: User
) -> None:
    verify(client, runtime, alice)

    with runtime.database.snapshot() as uow:
        actions = [e.action for e in uow.audit.of_user(uuid.UUID(alice.id))]

    assert actions[0] == "email.verified"
