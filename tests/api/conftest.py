"""The API over a real, migrated database, called in-process (Starlette's TestClient) or, where
the wire matters, on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from vaultra.bootstrap import Runtime
from vaultra.config import Settings
from vaultra.db.unit_of_work import Database
from vaultra.events.local_bus import LocalBus
from vaultra.web.app import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def runtime(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=database_url,
        VAULTRA_HOME=str(tmp_path),
        # Full-text search only: embedding the knowledge base takes seconds per test, and the
        # API's behaviour is the same whichever method searches (tests/web/test_mcp.py runs
        # the default, hybrid, end to end).
        VAULTRA_EMBEDDINGS="none",
    )
    runtime = Runtime(settings, database=Database(engine), publisher=LocalBus())
    yield runtime


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    # base_url https: the refresh cookie is Secure, and the client keeps it only over HTTPS
    with TestClient(create_app(runtime), base_url="https://testserver") as c:
        yield c


class User:
    """A signed-up, signed-in user and their own client's headers."""

    def __init__(self, client: TestClient, email: str) -> None:
        self.email = email
        created = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.token = login.json()["access_token"]
        self.refresh_token = login.cookies.get("vaultra_refresh")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def business(self, client: TestClient, name: str = "Acme") -> dict[str, Any]:
        created = client.post("/api/v1/businesses", json={"name": name}, headers=self.headers)
        assert created.status_code == 201, created.text
        return dict(created.json())


@pytest.fixture
def alice(client: TestClient) -> User:
    return User(client, "alice@example.com")


@pytest.fixture
def bob(client: TestClient) -> User:
    return User(client, "bob@example.com")


def forged_token(
    user_id: str, *, secret: str = "x" * 48, audience: str = "vaultra-api", expired: bool = False
) -> str:
    now = datetime.now(UTC) - (timedelta(hours=2) if expired else timedelta(0))
    claims = {
        "iss": "vaultra",
        "aud": audience,
        "sub": user_id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "jti": "forged",
    }
    return jwt.encode(claims, secret, algorithm="HS256")
