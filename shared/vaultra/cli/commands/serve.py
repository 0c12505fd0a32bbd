"""`vaultra serve`: the local stack in one process."""

from __future__ import annotations

import logging
import os
import threading
import time
import webbrowser
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from vaultra.cli.app import app, console
from vaultra.config import get_settings

if TYPE_CHECKING:
    from vaultra.bootstrap import Runtime

log = logging.getLogger(__name__)


# How long stopping waits for the knowledge base still being stored at startup.
KNOWLEDGE_JOIN_S = 30.0


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the dashboard in a browser once it is up.")
    ] = False,
) -> None:
    """Run the local stack in one process: the webhook, and the Pub/Sub-triggered functions
    (metrics, score, reconciliation) on a local bus — the same handlers as in the cloud."""
    from vaultra.bootstrap import get_runtime
    from vaultra.local_stack import LocalStack
    from vaultra.web.app import create_app
    from vaultra.web.server import run

    # Links the stack writes (mail, downloads, share pages, the OAuth return) point at this
    # server unless a public address is configured.
    os.environ.setdefault("VAULTRA_PUBLIC_URL", f"http://{host}:{port}")
    settings = get_settings()
    stack = None
    if settings.event_bus == "local":
        stack = LocalStack(settings).start()
        runtime = stack.runtime
        console.print(
            f"Local bus: {len(stack.subscriptions)} subscriptions of the functions; "
            f"reconciliation every {settings.reconcile_interval_s:g} s"
        )
    else:
        runtime = get_runtime()
    runtime.migrate()
    # The agent cites the knowledge base and the dashboard opens what it cites: a local stack
    # stores its passages as it starts (the deploy pipeline indexes it in the cloud), off the
    # startup path.
    indexing = threading.Thread(
        target=_index_knowledge, args=(runtime,), name="vaultra-knowledge", daemon=True
    )
    indexing.start()
    console.print(
        f"Vaultra on http://{host}:{port} — the dashboard at http://{host}:{port}/app, "
        "the Stripe webhook at POST /stripe/webhook, health at /healthz and /readyz. "
        "Ctrl-C stops it."
    )
    if open_browser:
        threading.Thread(target=_open_when_ready, args=(host, port), daemon=True).start()
    try:
        run(create_app(runtime), host=host, port=port)
    finally:
        # The indexing borrows a connection of the runtime's pool: closing the pool under it
        # would leave that connection unclosed when the thread hands it back.
        indexing.join(timeout=KNOWLEDGE_JOIN_S)
        if stack is not None:
            stack.stop()


def _index_knowledge(runtime: Runtime) -> None:
    from vaultra.services.knowledge import load_articles

    try:
        articles = load_articles(runtime.settings.knowledge_dir)
        # The passages only: embedding them takes a few CPU-seconds that would compete with the
        # server's first requests (and numpy's threads thrash when they do); that is the job of
        # `vaultra knowledge index`, which `make demo` and the build run.
        change = runtime.knowledge.index(articles, embed=False)
    except Exception:  # the API works without it; the agent then answers from data alone
        log.warning("the knowledge base could not be indexed", exc_info=True)
        return
    log.info(
        "knowledge base: %d articles, %d passages added, %d changed, %d removed",
        len(articles),
        change.added,
        change.changed,
        change.removed,
    )


def _open_when_ready(host: str, port: int, timeout_s: float = 60) -> None:
    """Opens /app once the server answers, where this machine has a browser to open."""
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                webbrowser.open(f"{base}/app")
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
