"""The local demo's login: made once per VAULTRA_HOME, the same on every run, brought back if
changed, owning the demo businesses — and never made in a deployed environment."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from vaultra.db.unit_of_work import Database
from vaultra.services import passwords
from vaultra.services.local_login import (
    DEMO_EMAIL,
    PASSWORD_FILE,
    LocalDemoLogin,
    LocalLoginRefused,
)


def business(db: Database, name: str) -> uuid.UUID:
    with db.transaction() as uow:
        return uow.businesses.create(name)


def stored(engine: Engine) -> tuple[str, object, list[tuple[str, str]]]:
    with engine.connect() as conn:
        hashed, verified = conn.execute(
            text("SELECT password_hash, email_verified_at FROM users WHERE email = :e"),
            {"e": DEMO_EMAIL},
        ).one()
        owned = conn.execute(
            text(
                "SELECT b.name, m.role FROM memberships m JOIN businesses b ON b.id = m.business_id "
                "JOIN users u ON u.id = m.user_id WHERE u.email = :e ORDER BY b.name"
            ),
            {"e": DEMO_EMAIL},
        ).all()
    return hashed, verified, [tuple(row) for row in owned]


def test_the_login_owns_the_demo_businesses_and_is_verified(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    ids = [business(db, "Northwind"), business(db, "Seedling")]

    login = LocalDemoLogin(db, deployed=False, home=tmp_path).ensure(ids)

    hashed, verified, owned = stored(engine)
    assert login.email == DEMO_EMAIL and len(login.password) >= 20
    assert passwords.verify_password(hashed, login.password)
    assert verified is not None
    assert owned == [("Northwind", "owner"), ("Seedling", "owner")]
    # the password is kept for the next run, readable by its owner only
    kept = tmp_path / PASSWORD_FILE
    assert kept.read_text() == login.password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_a_second_run_prints_the_same_login_and_restores_a_changed_password(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    ids = [business(db, "Northwind")]
    first = LocalDemoLogin(db, deployed=False, home=tmp_path).ensure(ids)
    with engine.begin() as conn:  # changed through the API meanwhile
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE email = :e"),
            {"h": passwords.hash_password("another long passphrase"), "e": DEMO_EMAIL},
        )

    second = LocalDemoLogin(db, deployed=False, home=tmp_path).ensure(ids)

    assert second == first
    hashed, _, owned = stored(engine)
    assert passwords.verify_password(hashed, first.password)
    assert owned == [("Northwind", "owner")]  # joined once, not twice


def test_a_deployed_environment_gets_no_demo_login(
    db: Database, engine: Engine, tmp_path: Path
) -> None:
    ids = [business(db, "Northwind")]

    with pytest.raises(LocalLoginRefused, match="only on a local machine"):
        LocalDemoLogin(db, deployed=True, home=tmp_path).ensure(ids)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    assert not (tmp_path / PASSWORD_FILE).exists()
