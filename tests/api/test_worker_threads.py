"""The API's worker threads: few, and never more than the database pool holds."""

from __future__ import annotations

import anyio.to_thread
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send
from vaultra.api.app import WORKER_THREADS, WorkerThreads
from vaultra.db.engine import POOL_SIZE


def test_requests_run_with_the_loops_worker_threads_sized_as_configured() -> None:
    seen: list[float] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(anyio.to_thread.current_default_thread_limiter().total_tokens)
        await PlainTextResponse("ok")(scope, receive, send)

    client = TestClient(WorkerThreads(app, threads=3))  # no lifespan: as functions-framework
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200

    assert seen == [3, 3]  # anyio's default is 40


def test_the_api_threads_fit_in_the_database_pool() -> None:
    """Each worker thread holds at most one connection at a time: with no more threads than
    pooled connections, the API never opens an overflow connection (closed again on return)."""
    assert WORKER_THREADS <= POOL_SIZE
