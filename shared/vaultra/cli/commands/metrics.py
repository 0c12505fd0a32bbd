"""`vaultra metrics`: compute, save and print a day's metric set."""

from __future__ import annotations

import json

from vaultra.cli.app import app, console
from vaultra.cli.options import (
    DEFAULT_WAIT_S,
    AccountArg,
    AsOfOption,
    JsonOption,
    ModeOption,
    WaitOption,
    account_on_day,
)
from vaultra.cli.refresh import refresh_waiting
from vaultra.cli.render.metrics import print_metrics
from vaultra.services.metrics import metrics_json


@app.command()
def metrics(
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
    wait: WaitOption = DEFAULT_WAIT_S,
) -> None:
    """Compute every metric as of a day from the current ledger, save it and print it."""
    runtime, link, day = account_on_day(account, as_of, test_mode)
    result = refresh_waiting(runtime, link, day, wait).metrics
    assert result is not None  # no data version was given: the command always computes
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
