"""The `vaultra` command: the composition root of the command-line runtime."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from vaultra.bootstrap import get_engine
from vaultra.config import Settings, get_settings
from vaultra.db import credentials, migrate
from vaultra.db.connections import LinkedAccount, find_account_any_mode
from vaultra.logs import configure_logging

if TYPE_CHECKING:
    from vaultra.services.readiness import Scored

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
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


@app.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (every other command does this on start, too)."""
    ready_engine(get_settings())
    console.print("database is at the latest migration")


@business_app.command("add")
def business_add(
    name: Annotated[str, typer.Option(help="The business's name.")],
    stripe_account: Annotated[str, typer.Option(help="Its Stripe account id (acct_…).")],
    test_mode: Annotated[bool, typer.Option(help="Link the account's test-mode data.")] = False,
    restricted_key_stdin: Annotated[
        bool, typer.Option(help="Read a restricted key for this account from standard input.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a business linked to a Stripe account; events already received for it apply now."""
    from vaultra.services.businesses import AccountAlreadyLinked, InvalidAccountId, add_business

    settings = get_settings()
    engine = ready_engine(settings)
    secret = None
    if restricted_key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise fail("--restricted-key-stdin given but standard input was empty")
        secret = credentials.encrypt(settings, key)
    try:
        with engine.begin() as conn:
            result = add_business(
                conn, name, stripe_account, livemode=not test_mode, credentials_encrypted=secret
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


@app.command()
def backfill(
    account: Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")],
    test_mode: Annotated[
        bool | None, typer.Option("--test-mode/--live-mode", help="Which link, if both.")
    ] = None,
) -> None:
    """Import an account's Stripe history (resumes an interrupted run)."""
    from vaultra.events.publisher import build_publisher
    from vaultra.services.backfill import RESOURCES, Backfill, BackfillFailed
    from vaultra.services.stripe_access import NoStripeCredentials, client_for_account

    settings = get_settings()
    engine = ready_engine(settings)
    link = linked_account(engine, account, test_mode)
    try:
        client = client_for_account(settings, link)
    except NoStripeCredentials as exc:
        raise fail(str(exc)) from None
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[objects]:,} objects"),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task(f"backfill {account}", total=None, objects=0)
        seen: set[tuple[str, str]] = set()

        def progress(window: str, resource: str, n: int) -> None:
            seen.add((window, resource))
            done = bar.tasks[task].fields["objects"] + n
            bar.update(
                task,
                completed=len(seen) // len(RESOURCES),
                objects=done,
                description=f"backfill {account} · {window} · {resource}",
            )

        job = Backfill(engine, client, link, build_publisher(settings), progress=progress)
        try:
            report = job.run()
        except BackfillFailed as exc:
            raise fail(f"backfill stopped (run it again to resume): {exc}", 1) from None
    console.print(
        f"imported {report.objects:,} objects over {report.windows} months "
        f"({report.windows_skipped} window(s) already done), {report.events} recent events, "
        f"{report.states_rebuilt} subscription states rebuilt, {report.retries} retries"
    )


def parse_as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of must be a date as YYYY-MM-DD, got {value!r}") from None


@app.command()
def metrics(
    account: Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day (YYYY-MM-DD, UTC); default today.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    test_mode: Annotated[
        bool | None, typer.Option("--test-mode/--live-mode", help="Which link, if both.")
    ] = None,
) -> None:
    """Compute every metric as of a day from the current ledger, save it and print it."""
    from vaultra.cli_metrics import print_metrics
    from vaultra.events.publisher import build_publisher
    from vaultra.services.metrics import compute_metric_set, metrics_json, refresh_metrics

    day = parse_as_of(as_of)
    settings = get_settings()
    engine = ready_engine(settings)
    link = linked_account(engine, account, test_mode)
    run = refresh_metrics(engine, link.business_id, day, publisher=build_publisher(settings))
    result = run.metrics
    if result is None:  # another computation holds the business: read without saving
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                result = compute_metric_set(conn, link.business_id, day)
    if as_json:
        payload = {
            "account": account,
            "as_of": day.isoformat(),
            "currency": result.currency,
            "metrics": metrics_json(result),
            "notes": result.notes,
        }
        print(json.dumps(payload, indent=2))
    else:
        print_metrics(console, account, result)


AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day (YYYY-MM-DD, UTC); default today.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModeOption = Annotated[
    bool | None, typer.Option("--test-mode/--live-mode", help="Which link, if both.")
]


def score_day(settings: Settings, engine: Engine, link: LinkedAccount, day: date) -> Scored:
    """Compute and save the day's metrics, then score them: what `score` and `recommendations`
    show is what the function would have stored."""
    from vaultra.events.publisher import build_publisher
    from vaultra.services.metrics import refresh_metrics
    from vaultra.services.readiness import score_business

    run = refresh_metrics(engine, link.business_id, day, publisher=build_publisher(settings))
    scored = score_business(engine, link.business_id, day)
    if scored is None:
        outcome = "busy" if run.outcome == "busy" else "missing"
        raise fail(f"no metrics to score for {link.account_id} as of {day} ({outcome}); retry")
    return scored


@app.command()
def score(
    account: Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
) -> None:
    """Score funding readiness as of a day: components, top factors and lender fit; saved."""
    from vaultra.cli_readiness import print_score, score_json

    day = parse_as_of(as_of)
    settings = get_settings()
    engine = ready_engine(settings)
    link = linked_account(engine, account, test_mode)
    scored = score_day(settings, engine, link, day)
    if as_json:
        print(json.dumps(score_json(account, day, scored.assessment), indent=2))
    else:
        print_score(console, account, day, scored.assessment)


@app.command()
def whatif(
    account: Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")],
    changes: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="METRIC=VALUE, e.g. mrr=+10%, dispute_activity_ratio_month=0.3%, "
            "months_of_history=+3 (repeatable).",
        ),
    ],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
) -> None:
    """Simulate changed metrics: the score and lender fit they would give. Saves nothing."""
    from vaultra.cli_readiness import print_whatif, whatif_json
    from vaultra.domain.readiness import simulate
    from vaultra.domain.scoring.whatif import WhatIfError, parse_change
    from vaultra.services.readiness import assess_metrics, current_metrics

    day = parse_as_of(as_of)
    engine = ready_engine(get_settings())
    link = linked_account(engine, account, test_mode)
    stored = current_metrics(engine, link.business_id, day)
    try:
        parsed = [parse_change(text, stored.currency) for text in changes]
        before = assess_metrics(stored, day)
        after = simulate(before, parsed)
    except WhatIfError as exc:
        raise fail(f"--set {exc}") from None
    if as_json:
        print(json.dumps(whatif_json(account, day, changes, before, after), indent=2))
    else:
        print_whatif(console, changes, before, after)


@app.command()
def recommendations(
    account: Annotated[str, typer.Argument(help="The linked Stripe account id (acct_…).")],
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
    done: Annotated[list[str] | None, typer.Option("--done", help="Mark KEY done.")] = None,
    dismiss: Annotated[list[str] | None, typer.Option("--dismiss", help="Dismiss KEY.")] = None,
    reopen: Annotated[list[str] | None, typer.Option("--reopen", help="Reopen KEY.")] = None,
) -> None:
    """What to do, ranked by expected score gain per effort; ★ marks this week's three."""
    from vaultra.cli_readiness import print_recommendations, recommendations_json
    from vaultra.services.readiness import (
        Status,
        UnknownRecommendation,
        recommendation_statuses,
        set_recommendation_status,
        this_week,
    )

    day = parse_as_of(as_of)
    settings = get_settings()
    engine = ready_engine(settings)
    link = linked_account(engine, account, test_mode)
    scored = score_day(settings, engine, link, day)
    marks: list[tuple[str, Status]] = [
        *((k, "done") for k in done or []),
        *((k, "dismissed") for k in dismiss or []),
        *((k, "open") for k in reopen or []),
    ]
    for key, status in marks:
        try:
            set_recommendation_status(engine, link.business_id, key, status)
        except UnknownRecommendation as exc:
            raise fail(str(exc)) from None
    with engine.connect() as conn:
        statuses = recommendation_statuses(conn, link.business_id)
    plan = {r.key for r in this_week(scored.recommendations, statuses)}
    if as_json:
        payload = recommendations_json(scored.recommendations, statuses, plan)
        print(json.dumps(payload, indent=2))
    else:
        print_recommendations(console, scored.recommendations, statuses, plan)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Run the local stack in one process: the webhook, and the Pub/Sub-triggered functions
    (metrics, score) on a local bus — the same handlers as in the cloud."""
    import uvicorn

    from vaultra.web.app import create_app

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
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        if bus is not None:
            bus.close()


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated histories.")] = 7,
    scale: Annotated[
        float, typer.Option(min=0.01, max=20, help="Size of the histories (1 = realistic).")
    ] = 1.0,
    screenshot: Annotated[
        Path | None, typer.Option(help="Also save the demo's output as an SVG picture.")
    ] = None,
) -> None:
    """Load the demo businesses (webhook and backfill paths) and show what Vaultra sees."""
    from vaultra.demo.run import run_demo

    out = Console(record=True, width=140) if screenshot else console
    run_demo(get_settings(), seed=seed, console=out, scale=scale)
    if screenshot:
        out.save_svg(str(screenshot), title="make demo")


def main() -> None:
    app()
