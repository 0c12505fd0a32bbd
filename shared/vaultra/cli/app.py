"""The Typer application every command registers on, and what commands share: the consoles, the
failure exit, the migrated database and the lookup of a linked account."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from vaultra.bootstrap import get_engine
from vaultra.config import Settings
from vaultra.db import migrate
from vaultra.db.connections import LinkedAccount, find_account_any_mode
from vaultra.logs import configure_logging

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Vaultra: funding readiness from a founder's Stripe history.",
)
business_app = typer.Typer(no_args_is_help=True, help="Businesses and their Stripe accounts.")
app.add_typer(business_app, name="business")
# Tables stay readable when the output is a pipe or a file, not only in a wide terminal.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def ready_engine(settings: Settings) -> Engine:
    """The database, migrated to head (every command that touches it starts here)."""
    engine = get_engine(settings)
    migrate.upgrade(engine)
    return engine


def linked_account(engine: Engine, account_id: str, test_mode: bool | None) -> LinkedAccount:
    with engine.connect() as conn:
        links = find_account_any_mode(conn, account_id)
    if test_mode is not None:
        links = [link for link in links if link.livemode is not test_mode]
    if not links:
        raise fail(f"{account_id} is not linked to a business; run `vaultra business add` first")
    if len(links) > 1:
        raise fail(f"{account_id} is linked in live and test mode; pass --test-mode or --live-mode")
    return links[0]


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO level.")] = False,
) -> None:
    """Vaultra: funding readiness from a founder's Stripe history."""
    configure_logging("INFO" if verbose else "WARNING")
