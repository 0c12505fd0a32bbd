"""An aiohttp app served on 127.0.0.1 from a thread of its own, for the loopback servers that
stand in for cloud services (language models, Pinecone)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web


@contextmanager
def served_in_a_thread(app: web.Application, port: int) -> Iterator[None]:
    """`app` answering on 127.0.0.1:`port` until the block ends; then stopped and its loop
    closed (no socket left for the garbage collector). Its loop is set up and run in its own
    thread only: the calling thread may have a loop of its own running (Playwright's sync API)."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    ready = threading.Event()
    failed: list[BaseException] = []

    def serve() -> None:
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        except BaseException as exc:  # reported to the caller, which raises it
            failed.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(timeout=30)
    if failed:
        thread.join(timeout=10)
        loop.close()
        raise failed[0]
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
