"""`vaultra score`, `whatif` and `recommendations`: readiness as a founder sees it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from vaultra.bootstrap import Runtime
from vaultra.cli.app import app, console, fail
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
from vaultra.cli.render.readiness import (
    print_recommendations,
    print_score,
    print_whatif,
    recommendations_json,
    score_json,
    whatif_json,
)
from vaultra.domain.readiness import simulate
from vaultra.domain.scoring.whatif import WhatIfError, parse_change
from vaultra.services.businesses import LinkedAccount
from vaultra.services.readiness import (
    Scored,
    Status,
    UnknownRecommendation,
    assess_metrics,
    this_week,
)


def score_day(runtime: Runtime, link: LinkedAccount, day: date, wait_s: float) -> Scored:
    """Compute and save the day's metrics, then score them: what `score` and `recommendations`
    show is what the function would have stored."""
    refresh_waiting(runtime, link, day, wait_s)
    scored = runtime.readiness.score(link.business_id, day)
    if scored is None:  # the business was deleted meanwhile
        raise fail(f"no metrics to score for {link.account_id} as of {day}")
    return scored


@app.command()
def score(
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
    wait: WaitOption = DEFAULT_WAIT_S,
) -> None:
    """Score funding readiness as of a day: components, top factors and lender fit; saved."""
    runtime, link, day = account_on_day(account, as_of, test_mode)
    scored = score_day(runtime, link, day, wait)
    if as_json:
        print(json.dumps(score_json(account, day, scored.assessment), indent=2))
    else:
        print_score(console, account, day, scored.assessment)


@app.command()
def whatif(
    account: AccountArg,
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
    runtime, link, day = account_on_day(account, as_of, test_mode)
    stored = runtime.readiness.current_metrics(link.business_id, day)
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
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
    done: Annotated[list[str] | None, typer.Option("--done", help="Mark KEY done.")] = None,
    dismiss: Annotated[list[str] | None, typer.Option("--dismiss", help="Dismiss KEY.")] = None,
    reopen: Annotated[list[str] | None, typer.Option("--reopen", help="Reopen KEY.")] = None,
    wait: WaitOption = DEFAULT_WAIT_S,
) -> None:
    """What to do, ranked by expected score gain per effort; ★ marks this week's three."""
    runtime, link, day = account_on_day(account, as_of, test_mode)
    scored = score_day(runtime, link, day, wait)
    marks: list[tuple[str, Status]] = [
        *((k, "done") for k in done or []),
        *((k, "dismissed") for k in dismiss or []),
        *((k, "open") for k in reopen or []),
    ]
    for key, status in marks:
        try:
            runtime.readiness.set_status(link.business_id, key, status)
        except UnknownRecommendation as exc:
            raise fail(str(exc)) from None
    statuses = runtime.readiness.statuses(link.business_id)
    plan = {r.key for r in this_week(scored.recommendations, statuses)}
    if as_json:
        payload = recommendations_json(scored.recommendations, statuses, plan)
        print(json.dumps(payload, indent=2))
    else:
        print_recommendations(console, scored.recommendations, statuses, plan)
