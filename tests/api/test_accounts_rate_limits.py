"""Rate limits on authentication: per account and per address, after N failures in a window a
429 with Retry-After, exponential backoff, a success clearing the account, and a fresh count at
the window's end. Time moves with time-machine, never with sleeps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.services.rate_limits import LOGIN, RateLimited

from tests.api.conftest import PASSWORD, User

LOGIN_URL = "/api/v1/auth/login"


def log_in(client: TestClient, user: User, password: str) -> httpx.Response:
    return client.post(LOGIN_URL, json={"email": user.email, "password": password})


def test_five_wrong_passwords_hold_the_account_back_even_from_the_right_one(
    client: TestClient, alice: User
) -> None:
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        wrong = [log_in(client, alice, "not the password") for _ in range(5)]
        held = log_in(client, alice, PASSWORD)
        clock.shift(timedelta(seconds=59))
        still = log_in(client, alice, PASSWORD)
        clock.shift(timedelta(seconds=2))
        lifted = log_in(client, alice, PASSWORD)

    assert [w.status_code for w in wrong] == [401] * 5
    assert held.status_code == 429
    assert held.headers["retry-after"] == "60"
    assert held.json()["type"].endswith("/rate-limited")
    assert still.headers["retry-after"] == "1"
    assert lifted.status_code == 200


def test_the_hold_doubles_within_a_window_and_the_count_restarts_at_its_end(
    client: TestClient, alice: User
) -> None:
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        for _ in range(5):
            log_in(client, alice, "not the password")
        clock.shift(timedelta(seconds=61))
        sixth = log_in(client, alice, "not the password")  # allowed, and counted
        doubled = log_in(client, alice, PASSWORD)
        clock.shift(timedelta(seconds=121))
        log_in(client, alice, "not the password")
        doubled_again = log_in(client, alice, PASSWORD)
        clock.shift(timedelta(minutes=15))  # the hold is over and so is the window
        after_the_window = log_in(client, alice, "not the password")
        not_held = log_in(client, alice, PASSWORD)

    assert sixth.status_code == 401
    assert doubled.headers["retry-after"] == "120"
    assert doubled_again.headers["retry-after"] == "240"
    assert after_the_window.status_code == 401
    assert not_held.status_code == 200


def test_a_success_clears_the_accounts_count(client: TestClient, alice: User) -> None:
    for _ in range(4):
        log_in(client, alice, "not the password")
    assert log_in(client, alice, PASSWORD).status_code == 200

    after = [log_in(client, alice, "not the password").status_code for _ in range(4)]

    assert after == [401] * 4
    assert log_in(client, alice, PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_is_held_back_and_another_address_is_not(
    runtime: Runtime,
) -> None:
    limiter = runtime.rate_limits
    for n in range(LOGIN.per_address or 0):
        attempt = limiter.attempt(LOGIN, ip="203.0.113.9", account=f"user{n}@example.com")
        limiter.check(attempt)
        limiter.failed(attempt)

    with pytest.raises(RateLimited) as held:
        limiter.check(limiter.attempt(LOGIN, ip="203.0.113.9", account="new@example.com"))
    limiter.check(limiter.attempt(LOGIN, ip="198.51.100.7", account="new@example.com"))

    assert held.value.retry_after == 60


def test_concurrent_failures_are_each_counted(runtime: Runtime) -> None:
    limiter = runtime.rate_limits
    attempt = limiter.attempt(LOGIN, ip=None, account="target@example.com")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: limiter.failed(attempt), range(LOGIN.per_account or 0)))

    with pytest.raises(RateLimited):
        limiter.check(attempt)
    with runtime.database.snapshot() as uow:
        [(key, failures)] = uow.conn.exec_driver_sql("SELECT key, failures FROM rate_limits").all()
    assert failures == LOGIN.per_account
    assert "target" not in key and "example" not in key  # keys are digests, not addresses


def test_reset_requests_are_limited_alike_for_known_and_unknown_addresses(
    client: TestClient, alice: User
) -> None:
    known = [
        client.post("/api/v1/auth/password-reset", json={"email": alice.email}).status_code
        for _ in range(6)
    ]
    unknown = [
        client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"}).status_code
        for _ in range(6)
    ]

    assert known == unknown == [202] * 5 + [429]


def test_a_link_token_guessed_too_often_is_held_back(client: TestClient) -> None:
    answers = [
        client.post("/api/v1/auth/verify-email", json={"token": f"vlt_ev_guess{n}"}).status_code
        for n in range(21)
    ]

    assert answers == [400] * 20 + [429]
