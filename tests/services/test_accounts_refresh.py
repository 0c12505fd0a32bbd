"""Refresh-token rotation: a token works once, a copy played back ends the session, and the one
retry a browser makes after losing the answer (a navigation cancelled the request, two tabs
renewed at once) is forgiven for `RETRY_GRACE` — while the family has not moved on."""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.services.accounts import RETRY_GRACE, Accounts, InvalidRefreshToken, Session
from vaultra.services.auth_tokens import AccessTokens

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(db: Database, clock: Clock) -> Accounts:
    tokens = AccessTokens("s" * 32, 900, clock=clock)
    return Accounts(db, tokens, refresh_ttl_s=30 * 86_400, clock=clock)


@pytest.fixture
def signed_in(accounts: Accounts) -> Session:
    accounts.sign_up("founder@example.com", PASSWORD)
    return accounts.sign_in("founder@example.com", PASSWORD)


def family_state(engine: Engine) -> list[tuple[bool, bool]]:
    """(used, revoked) of every refresh token, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT used_at IS NOT NULL, revoked_at IS NOT NULL FROM refresh_tokens "
                "ORDER BY created_at, id"
            )
        ).all()
    return [(bool(u), bool(r)) for u, r in rows]


def reuse_audits(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'session.reuse_detected'")
            ).scalar_one()
        )


def refused(accounts: Accounts, token: str) -> bool:
    try:
        accounts.refresh(token)
    except InvalidRefreshToken:
        return True
    return False


def ends_the_session(
    accounts: Accounts, engine: Engine, *, replayed: Session, live: Session
) -> None:
    """Presenting `replayed` is refused as reuse, and revokes the family: `live` is refused too."""
    assert refused(accounts, replayed.refresh_token)
    assert refused(accounts, live.refresh_token)
    assert reuse_audits(engine) == 1


def test_a_retry_of_the_last_rotation_gets_a_new_token_and_retires_the_lost_one(
    accounts: Accounts, signed_in: Session, clock: Clock, engine: Engine
) -> None:
    lost = accounts.refresh(signed_in.refresh_token)  # its answer never reached the browser
    clock.now += timedelta(seconds=2)

    retried = accounts.refresh(signed_in.refresh_token)

    assert retried.refresh_token not in (signed_in.refresh_token, lost.refresh_token)
    # signed in: used; the lost successor: revoked unused; the retry's: live
    assert family_state(engine) == [(True, False), (False, True), (False, False)]
    assert accounts.refresh(retried.refresh_token).refresh_token  # the session goes on
    assert reuse_audits(engine) == 0


def test_the_lost_token_turning_up_later_is_reuse_and_ends_the_session(
    accounts: Accounts, signed_in: Session, clock: Clock, engine: Engine
) -> None:
    lost = accounts.refresh(signed_in.refresh_token)
    retried = accounts.refresh(signed_in.refresh_token)

    ends_the_session(accounts, engine, replayed=lost, live=retried)


def test_an_older_token_is_reuse_once_the_family_has_moved_on(
    accounts: Accounts, signed_in: Session, engine: Engine
) -> None:
    second = accounts.refresh(signed_in.refresh_token)
    third = accounts.refresh(second.refresh_token)  # the successor was used: no answer was lost

    ends_the_session(accounts, engine, replayed=signed_in, live=third)


def test_a_retry_after_the_grace_is_reuse(
    accounts: Accounts, signed_in: Session, clock: Clock, engine: Engine
) -> None:
    second = accounts.refresh(signed_in.refresh_token)
    clock.now += RETRY_GRACE

    ends_the_session(accounts, engine, replayed=signed_in, live=second)


def test_signed_out_or_expired_tokens_are_refused_without_a_reuse_alarm(
    accounts: Accounts, signed_in: Session, clock: Clock, engine: Engine
) -> None:
    second = accounts.refresh(signed_in.refresh_token)
    accounts.sign_out(second.refresh_token)
    other = accounts.sign_in("founder@example.com", PASSWORD)
    clock.now += timedelta(days=31)

    assert refused(accounts, signed_in.refresh_token)  # used, and its family signed out
    assert refused(accounts, second.refresh_token)
    assert refused(accounts, other.refresh_token)  # expired
    assert refused(accounts, "vlt_rt_" + uuid.uuid4().hex)  # unknown
    assert reuse_audits(engine) == 0


def test_two_tabs_renewing_at_once_keep_one_session_with_one_live_token(
    accounts: Accounts, signed_in: Session, engine: Engine
) -> None:
    start = threading.Barrier(4)
    answers: list[Session | Exception] = []

    def renew() -> None:
        start.wait()
        try:
            answers.append(accounts.refresh(signed_in.refresh_token))
        except Exception as error:  # collected, and asserted on below
            answers.append(error)

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(a, Session) for a in answers), answers
    live = [used or revoked for used, revoked in family_state(engine)].count(False)
    assert live == 1
    assert reuse_audits(engine) == 0


def test_a_retry_racing_the_next_rotation_ends_the_session_whichever_goes_first(
    accounts: Accounts, signed_in: Session, engine: Engine
) -> None:
    """The retry of a token and the use of its successor, at once: whichever goes first, the
    other is reuse and the family is revoked — never two tokens left to use. That needs the
    refresh to hold the whole family, not only its own row: without the family's lock, this
    fails within the twelve rounds (checked)."""
    token = signed_in
    for _ in range(12):
        successor = accounts.refresh(token.refresh_token)
        start = threading.Barrier(2)

        def present(refresh_token: str, start: threading.Barrier = start) -> None:
            start.wait()
            with contextlib.suppress(InvalidRefreshToken):
                accounts.refresh(refresh_token)

        racers = [
            threading.Thread(target=present, args=(t.refresh_token,)) for t in (token, successor)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()

        live = [used or revoked for used, revoked in family_state(engine)].count(False)
        assert live == 0  # one of the two was reuse: the family is revoked
        token = accounts.sign_in("founder@example.com", PASSWORD)
        with engine.begin() as conn:  # the next round starts from this sign-in alone
            conn.execute(
                text(
                    "DELETE FROM refresh_tokens WHERE family_id <> "
                    "(SELECT family_id FROM refresh_tokens ORDER BY created_at DESC "
                    "LIMIT 1)"
                )
            )
