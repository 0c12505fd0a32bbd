"""Every Cloud Function goes through one wrapper: its main.py only names it; a deployed instance
without its settings refuses to start; health probes tell liveness from readiness."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from vaultra.bootstrap import reset_runtime
from vaultra.config import ConfigurationError, get_settings
from vaultra.handlers import API, DEAD_LETTERS, FUNCTIONS, WEBHOOK

FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"
# A socket nobody listens on: the database is down.
DOWN = "postgresql+pg8000://postgres@/vaultra?unix_sock=/nonexistent/.s.PGSQL.5432"


def test_each_functions_main_only_names_its_function_in_the_package() -> None:
    found = {}
    for main in sorted(FUNCTIONS_DIR.glob("*/main.py")):
        tree = ast.parse(main.read_text())
        statements = [s for s in tree.body if not isinstance(s, ast.Expr)]  # the docstring aside
        [imported, assigned] = statements
        assert isinstance(imported, ast.ImportFrom) and imported.module == "vaultra.entrypoints"
        assert isinstance(assigned, ast.Assign) and isinstance(assigned.value, ast.Call)
        [target] = assigned.targets
        assert isinstance(target, ast.Name) and target.id == main.parent.name
        found[main.parent.name] = ast.unparse(assigned.value)

    assert set(found) == {*FUNCTIONS, WEBHOOK, DEAD_LETTERS, API}
    for name in FUNCTIONS:
        assert found[name] == f"cloud_event_function({name!r})"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    get_settings.cache_clear()
    reset_runtime()


def load(name: str, signature: str = "cloudevent") -> Any:
    get_settings.cache_clear()
    reset_runtime()
    return functions_framework.create_app(name, str(FUNCTIONS_DIR / name / "main.py"), signature)


@pytest.mark.parametrize("name", sorted({*FUNCTIONS, DEAD_LETTERS}))
def test_a_deployed_function_without_its_settings_refuses_to_start(
    env: pytest.MonkeyPatch, name: str
) -> None:
    env.setenv("K_SERVICE", name)  # what Google's runtime sets
    env.delenv("DATABASE_URL", raising=False)

    with pytest.raises(ConfigurationError, match=f"^{name} refuses to start: set .*DATABASE_URL"):
        load(name)


def test_the_deployed_webhook_refuses_to_start_without_its_signing_secret(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("VAULTRA_ENV", "production")
    env.setenv("DATABASE_URL", "postgresql+pg8000://webhook@10.0.0.5/vaultra")
    env.setenv("VAULTRA_EVENT_BUS", "pubsub")
    env.setenv("GCP_PROJECT", "vaultra-prod")
    env.delenv("STRIPE_WEBHOOK_SECRET", raising=False)

    with pytest.raises(ConfigurationError, match="STRIPE_WEBHOOK_SECRET"):
        load(WEBHOOK, "http")


def test_the_webhooks_probes_tell_a_live_process_from_a_ready_one(
    env: pytest.MonkeyPatch, database_url: str
) -> None:
    env.setenv("DATABASE_URL", database_url)
    env.setenv("VAULTRA_EVENT_BUS", "local")
    up = load(WEBHOOK, "http").test_client()
    assert up.get("/healthz").status_code == 200
    ready = up.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "checks": {"database": "ok", "event_bus": "ok"}}

    env.setenv("DATABASE_URL", DOWN)
    down = load(WEBHOOK, "http").test_client()
    assert down.get("/healthz").status_code == 200  # alive: no restart would help
    not_ready = down.get("/readyz")
    assert not_ready.status_code == 503
    checks = not_ready.get_json()["checks"]
    assert checks["database"].startswith("down: DatabaseUnavailable")
    assert checks["event_bus"] == "ok"
    assert "nonexistent" not in not_ready.get_data(as_text=True)  # no connection string


def test_the_local_servers_probes_tell_a_live_process_from_a_ready_one(
    env: pytest.MonkeyPatch,
) -> None:
    import asyncio

    import httpx
    from vaultra.bootstrap import get_runtime
    from vaultra.web.app import create_app

    env.setenv("DATABASE_URL", DOWN)
    get_settings.cache_clear()
    app = create_app(get_runtime())

    async def probe(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vaultra") as client:
            return await client.get(path)

    assert asyncio.run(probe("/healthz")).status_code == 200
    not_ready = asyncio.run(probe("/readyz"))
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["database"].startswith("down: DatabaseUnavailable")


def test_the_api_function_serves_the_api_through_functions_frameworks_asgi_mode(
    env: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    import asyncio

    import httpx
    from functions_framework.aio import create_asgi_app

    env.setenv("DATABASE_URL", database_url)
    env.setenv("VAULTRA_HOME", str(tmp_path))
    get_settings.cache_clear()
    reset_runtime()
    app = create_asgi_app(API, str(FUNCTIONS_DIR / API / "main.py"), "http")
    credentials = {"email": "founder@example.com", "password": "a long passphrase"}

    async def session() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://vaultra") as http:
            return [
                await http.get("/api/v1/openapi.json"),
                await http.post("/api/v1/auth/signup", json=credentials),
                await http.post("/api/v1/auth/login", json=credentials),
                await http.get("/api/v1/me"),
            ]

    document, signed_up, logged_in, anonymous = asyncio.run(session())

    assert document.status_code == 200 and document.json()["info"]["title"] == "Vaultra API"
    assert signed_up.status_code == 201 and logged_in.status_code == 200
    assert logged_in.json()["token_type"] == "bearer"
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


def test_the_deployed_api_refuses_to_start_without_its_signing_key(env: pytest.MonkeyPatch) -> None:
    from vaultra.entrypoints import api_function

    env.setenv("VAULTRA_ENV", "production")
    env.setenv("DATABASE_URL", "postgresql+pg8000://api@10.0.0.5/vaultra")
    env.setenv("VAULTRA_EVENT_BUS", "pubsub")
    env.setenv("GCP_PROJECT", "vaultra-prod")
    env.setenv("VAULTRA_CREDENTIALS_KEY", "0" * 43 + "=")
    env.delenv("VAULTRA_JWT_SECRET", raising=False)
    get_settings.cache_clear()

    with pytest.raises(ConfigurationError, match="VAULTRA_JWT_SECRET"):
        api_function()
