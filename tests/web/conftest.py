"""Servers for the wire tests, one per module: the echo app behind BodyLimits, and the local
stack's app, each under vaultra.web.server's bounded uvicorn, with 1 s deadlines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stripe_payloads import SECRET
from tests.web.wire import ServerProcess, asgi_server, scratch_database

DEADLINE_S = 1.0
FAST = ["--header-timeout", str(DEADLINE_S), "--read-timeout", str(DEADLINE_S)]


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with asgi_server(tmp_path_factory.mktemp("echo"), {}, [*FAST, "--app", "echo"]) as server:
        yield server


@pytest.fixture(scope="module")
def vaultra_server(
    tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str, template_database: str
) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("vaultra")
    with scratch_database(pg_admin_url, template_database) as database_url:
        env = {
            "DATABASE_URL": database_url,
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "VAULTRA_EVENT_BUS": "local",
            "VAULTRA_HOME": str(home),
        }
        with asgi_server(home, env, [*FAST, "--app", "vaultra"], ready_path="/healthz") as server:
            yield server
