"""Computing a day's metrics for a command: waiting, with a spinner, for a computation of the same
business that is already running (a webhook burst, the daily refresh) instead of refusing."""

from __future__ import annotations

from datetime import date

from rich.status import Status

from vaultra.bootstrap import Runtime
from vaultra.cli.app import err, fail
from vaultra.services.businesses import LinkedAccount
from vaultra.services.metrics import MetricsRun


def refresh_waiting(runtime: Runtime, link: LinkedAccount, day: date, wait_s: float) -> MetricsRun:
    spinner: Status | None = None

    def on_wait() -> None:
        nonlocal spinner
        message = (
            f"{link.account_id}: waiting for the computation already running (up to {wait_s:g} s)"
        )
        if not err.is_terminal:  # a spinner shows nothing in a pipe or a log: say it once
            err.print(message)
            return
        spinner = err.status(message)
        spinner.start()

    try:
        run = runtime.metrics.refresh(link.business_id, day, wait_s=wait_s, on_wait=on_wait)
    finally:
        if spinner is not None:
            spinner.stop()
    if run.outcome == "busy":
        raise fail(
            f"{link.account_id}: a computation was still running after {wait_s:g} s; "
            "run the command again, or give --wait more seconds",
            1,
        )
    return run
