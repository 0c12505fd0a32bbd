"""`vaultra score`, `whatif` and `recommendations`: readiness as a founder sees it."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine

from vaultra.cli.app import app, console, fail, linked_account, ready_engine
from vaultra.cli.options import AccountArg, AsOfOption, JsonOption, ModeOption, parse_as_of
from vaultra.config import Settings, get_settings
from vaultra.db.connections import LinkedAccount

if TYPE_CHECKING:
    from vaultra.services.readiness import Scored


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
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
) -> None:
    """Score funding readiness as of a day: components, top factors and lender fit; saved."""
    from vaultra.cli.render.readiness import print_score, score_json

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
    from vaultra.cli.render.readiness import print_whatif, whatif_json
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
    account: AccountArg,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    test_mode: ModeOption = None,
    done: Annotated[list[str] | None, typer.Option("--done", help="Mark KEY done.")] = None,
    dismiss: Annotated[list[str] | None, typer.Option("--dismiss", help="Dismiss KEY.")] = None,
    reopen: Annotated[list[str] | None, typer.Option("--reopen", help="Reopen KEY.")] = None,
) -> None:
    """What to do, ranked by expected score gain per effort; ★ marks this week's three."""
    from vaultra.cli.render.readiness import print_recommendations, recommendations_json
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
