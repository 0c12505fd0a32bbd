"""`vaultra serve`: the local stack in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultra.cli.app import app, console, ready_engine
from vaultra.config import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Run the local stack in one process: the webhook, and the Pub/Sub-triggered functions
    (metrics, score) on a local bus — the same handlers as in the cloud."""
    from vaultra.web.app import create_app
    from vaultra.web.server import run

    settings = get_settings()
    ready_engine(settings)
    bus = None
    if settings.event_bus == "local":
        from vaultra.events.local_bus import LocalBus, use_local_bus
        from vaultra.events.publisher import topic_names_from_settings
        from vaultra.local_functions import subscribe_functions

        names = topic_names_from_settings(settings)
        bus = use_local_bus(LocalBus(synchronous=False, topic_names=names))
        subscribed = subscribe_functions(bus, names)
        console.print(f"Local bus: {len(subscribed)} Pub/Sub subscriptions of functions/")
    console.print(f"Vaultra on http://{host}:{port} — Stripe webhook at POST /stripe/webhook")
    try:
        run(create_app(settings), host=host, port=port)
    finally:
        if bus is not None:
            bus.close()
