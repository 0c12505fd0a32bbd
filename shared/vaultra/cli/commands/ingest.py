"""`vaultra backfill`: import a linked account's history with a progress bar."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vaultra.cli.app import app, console, err, fail, linked_account, ready_engine
from vaultra.cli.options import AccountArg, ModeOption
from vaultra.config import get_settings


@app.command()
def backfill(
    account: AccountArg,
    test_mode: ModeOption = None,
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
