"""`vaultra migrate` and `vaultra business add`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from vaultra.cli.app import app, business_app, console, fail, ready_runtime
from vaultra.cli.options import JsonOption
from vaultra.services.businesses import AccountAlreadyLinked, InvalidAccountId


@app.command("migrate")
def migrate_command(
    grant: Annotated[
        list[str] | None,
        typer.Option(
            help="A database user to grant the runtimes' role (vaultra_runtime) to; repeatable. "
            "The build passes each runtime's IAM user."
        ),
    ] = None,
) -> None:
    """Apply database migrations (every other command does this on start, too)."""
    runtime = ready_runtime()
    console.print("database is at the latest migration")
    if grant:
        try:
            runtime.grant_runtime_role(grant)
        except LookupError as exc:  # vaultra.db.migrate.UnknownDatabaseUser: names the user
            raise fail(str(exc)) from None
        console.print(f"vaultra_runtime granted to {len(grant)} database user(s)")


@business_app.command("add")
def business_add(
    name: Annotated[str, typer.Option(help="The business's name.")],
    stripe_account: Annotated[str, typer.Option(help="Its Stripe account id (acct_…).")],
    test_mode: Annotated[bool, typer.Option(help="Link the account's test-mode data.")] = False,
    restricted_key_stdin: Annotated[
        bool, typer.Option(help="Read a restricted key for this account from standard input.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a business linked to a Stripe account; events already received for it apply now."""
    runtime = ready_runtime()
    key = None
    if restricted_key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise fail("--restricted-key-stdin given but standard input was empty")
    try:
        result = runtime.add_business(
            name, stripe_account, livemode=not test_mode, restricted_key=key
        )
    except (AccountAlreadyLinked, InvalidAccountId, ValueError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(
            json.dumps(
                {
                    "id": str(result.business_id),
                    "name": name.strip(),
                    "stripe_account": stripe_account,
                    "livemode": not test_mode,
                    "pending_events_applied": result.pending_applied,
                }
            )
        )
        return
    console.print(
        f"business [bold]{result.business_id}[/] linked to {stripe_account} "
        f"({'test' if test_mode else 'live'} mode); "
        f"{result.pending_applied} pending event(s) applied"
    )
