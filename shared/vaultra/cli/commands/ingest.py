"""`vaultra backfill`: import a linked account's history with a progress bar."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vaultra.cli.app import app, console, err, fail, linked_account, ready_runtime
from vaultra.cli.options import AccountArg, ModeOption
from vaultra.services.backfill import RESOURCES, BackfillFailed
from vaultra.services.stripe_access import NoStripeCredentials


@app.command()
def backfill(
    account: AccountArg,
    test_mode: ModeOption = None,
) -> None:
    """Import an account's Stripe history (resumes an interrupted run)."""
    runtime = ready_runtime()
    link = linked_account(runtime, account, test_mode)
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

        try:
            report = runtime.backfill(link, progress=progress).run()
        except NoStripeCredentials as exc:
            raise fail(str(exc)) from None
        except BackfillFailed as exc:
            raise fail(f"backfill stopped (run it again to resume): {exc}", 1) from None
    console.print(
        f"imported {report.objects:,} objects over {report.windows} months "
        f"({report.windows_skipped} window(s) already done), {report.events} recent events, "
        f"{report.states_rebuilt} subscription states rebuilt, {report.retries} retries"
    )
