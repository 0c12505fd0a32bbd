"""`vaultra metrics`: compute, save and print a day's metric set."""

from __future__ import annotations

import json

from vaultra.cli.app import app, console, linked_account, ready_engine
from vaultra.cli.options import AccountArg, AsOfOption, JsonOption, ModeOption, parse_as_of
from vaultra.config import get_settings


@app.command()
def metrics(
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
) -> None:
    """Compute every metric as of a day from the current ledger, save it and print it."""
    from vaultra.cli.render.metrics import print_metrics
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
