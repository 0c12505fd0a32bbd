"""Helpers of the accounts tests: the mail a user was sent (the local outbox is the inbox) and
the token its link carries."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.db.outbox import OutboxRow

from tests.api.conftest import User

_TOKEN = re.compile(r"#token=(\S+)")


def inbox(runtime: Runtime, address: str) -> list[OutboxRow]:
    """Mail sent to the address, newest first."""
    with runtime.database.snapshot() as uow:
        return uow.outbox.to(address)


def token_in_latest(runtime: Runtime, address: str, subject_contains: str) -> str:
    for mail in inbox(runtime, address):
        if subject_contains in mail.subject:
            found = _TOKEN.search(mail.body)
            assert found, mail.body
            return found[1]
    raise AssertionError(f"no mail about {subject_contains!r} to {address}")


def verify(client: TestClient, runtime: Runtime, user: User) -> None:
    token = token_in_latest(runtime, user.email, "Confirm your email")
    answer = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert answer.status_code == 200, answer.text


def personal_token(client: TestClient, user: User, name: str = "script", days: int = 30) -> str:
    created = client.post(
        "/api/v1/tokens", json={"name": name, "expires_in_days": days}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    return str(created.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
