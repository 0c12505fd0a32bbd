"""Arguments and options shared by several commands, declared once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from vaultra.bootstrap import Runtime
from vaultra.cli.app import fail, linked_account, ready_runtime
from vaultra.services.businesses import LinkedAccount

AccountArg = Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day (YYYY-MM-DD, UTC); default today.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModeOption = Annotated[
    bool | None, typer.Option("--test-mode/--live-mode", help="Which link, if both.")
]


def parse_as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of must be a date as YYYY-MM-DD, got {value!r}") from None


WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait for a computation of the business already running (0: don't).",
    ),
]
DEFAULT_WAIT_S = 120.0


def account_on_day(
    account: str, as_of: str | None, test_mode: bool | None
) -> tuple[Runtime, LinkedAccount, date]:
    """What every per-account, per-day command starts from: the runtime (migrated), the
    account's current link and the day asked for."""
    day = parse_as_of(as_of)
    runtime = ready_runtime()
    return runtime, linked_account(runtime, account, test_mode), day
