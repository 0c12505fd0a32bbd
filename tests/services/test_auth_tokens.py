"""Access tokens: what a verified token is remembered for, and what is checked again."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from vaultra.services import auth_tokens
from vaultra.services.auth_tokens import AccessTokens, InvalidToken

SECRET = "s" * 32
USER = uuid.UUID("00000000-0000-4000-8000-000000000001")


def test_a_token_verified_once_is_refused_after_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = AccessTokens(SECRET, ttl_s=60)
    token = tokens.issue(USER).token
    assert tokens.verify(token).user_id == USER
    assert tokens.verify(token).user_id == USER  # remembered

    # 60 s of life and 10 s of leeway: at +71 s it is over, remembered or not.
    later = time.time() + 71
    monkeypatch.setattr(auth_tokens, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_altered_after_a_valid_one_was_verified_is_refused() -> None:
    tokens = AccessTokens(SECRET, ttl_s=60)
    token = tokens.issue(USER).token
    tokens.verify(token)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        tokens.verify(tampered)


def test_a_token_of_another_secret_is_refused_even_if_the_same_string_was_accepted_elsewhere() -> (
    None
):
    issued = AccessTokens(SECRET, ttl_s=60).issue(USER).token
    AccessTokens(SECRET, ttl_s=60).verify(issued)
    with pytest.raises(InvalidToken):
        AccessTokens("t" * 32, ttl_s=60).verify(issued)


def test_an_expired_token_is_refused_the_first_time_it_is_seen() -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    token = AccessTokens(SECRET, ttl_s=60, clock=lambda: an_hour_ago).issue(USER).token
    with pytest.raises(InvalidToken):
        AccessTokens(SECRET, ttl_s=60).verify(token)


def test_what_is_remembered_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_tokens, "_VERIFIED_MAX", 3)
    tokens = AccessTokens(SECRET, ttl_s=60)
    for _ in range(10):
        tokens.verify(tokens.issue(USER).token)
        assert len(tokens._verified) <= 3
