"""The Typer application every command registers on, and what commands share: the consoles, the
failure exit, the migrated database and the lookup of a linked account."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from vaultra.bootstrap import Runtime, get_runtime
from vaultra.logs import configure_logging
from vaultra.services.businesses import LinkedAccount, NotLinked

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


def ready_runtime() -> Runtime:
    """The process's runtime, its database migrated to head (every command starts here)."""
    runtime = get_runtime()
    runtime.migrate()
    return runtime


def linked_account(runtime: Runtime, account_id: str, test_mode: bool | None) -> LinkedAccount:
    """The account's current link; a revoked (deauthorized) link is never acted upon."""
    try:
        return runtime.link(account_id, test_mode)
    except NotLinked as exc:
        raise fail(str(exc)) from None


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO level.")] = False,
) -> None:
    """Vaultra: funding readiness from a founder's Stripe history."""
    configure_logging("INFO" if verbose else "WARNING")
