"""How `vaultra score`, `whatif` and `recommendations` show readiness to a person, and as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table

from vaultra.domain.lenders import LenderFit
from vaultra.domain.money import format_money
from vaultra.domain.readiness import Assessment, Recommendation
from vaultra.domain.scoring.score import Score

STATUS_STYLE = {"eligible": "green", "not_yet": "yellow", "not_a_fit": "dim"}


def score_json(account: str, as_of: date, assessment: Assessment) -> dict[str, Any]:
    score = assessment.score.to_json()
    return {
        "account": account,
        "as_of": as_of.isoformat(),
        "version": score["version"],
        "score": score["score"],
        "confidence": score["confidence"],
        "components": score["components"],
        "top_factors": score["top_factors"],
        "missing": score["missing"],
        "lender_fit": [f.to_json() for f in assessment.lender_fit],
        "lender_criteria_version": assessment.lender_criteria_version,
    }


def whatif_json(
    account: str, as_of: date, changes: Sequence[str], before: Assessment, after: Assessment
) -> dict[str, Any]:
    return {
        "account": account,
        "as_of": as_of.isoformat(),
        "changes": list(changes),
        "score_before": before.score.score,
        "score_after": after.score.score,
        "version": after.score.version,
        "components": after.score.to_json()["components"],
        "lender_fit": [f.to_json() for f in after.lender_fit],
        "lender_fit_before": [{"key": f.key, "status": f.status} for f in before.lender_fit],
    }


def recommendations_json(
    recommendations: Sequence[Recommendation], statuses: Mapping[str, str], this_week: set[str]
) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "title": r.title,
            "expected_gain": r.expected_gain,
            "effort": r.effort,
            "status": statuses.get(r.key, "open"),
            "article": r.article,
            "takes_effect": r.takes_effect,
            "trigger": r.trigger,
            "unlocks": list(r.unlocks),
            "this_week": r.key in this_week,
        }
        for r in recommendations
    ]


def print_score(console: Console, account: str, as_of: date, assessment: Assessment) -> None:
    score = assessment.score
    console.print(
        f"[bold]{account}[/] · as of {as_of.isoformat()} · readiness "
        f"[bold]{score.score}[/] / 100 · confidence {score.confidence} · model {score.version}"
    )
    print_components(console, score)
    if score.top_factors:
        console.print(
            "Top factors: "
            + "; ".join(
                f"{f.title} −{f.points_lost} (could gain {f.could_gain})" for f in score.top_factors
            )
        )
    for line in score.missing:
        console.print(f"[yellow]no data:[/] {line}")
    print_lender_fit(console, assessment.lender_fit)


def print_components(console: Console, score: Score) -> None:
    table = Table(title="Components", title_justify="left")
    table.add_column("component")
    table.add_column("points", justify="right")
    table.add_column("why", overflow="fold", max_width=100)
    for component in score.components:
        table.add_row(
            component.title,
            f"{component.points} / {component.max_points}",
            component.explanation,
        )
    console.print(table)


def print_lender_fit(console: Console, fits: Sequence[LenderFit]) -> None:
    table = Table(
        title="Lender fit (estimates are not offers)",
        title_justify="left",
    )
    table.add_column("product")
    table.add_column("status")
    table.add_column("gaps / to confirm", overflow="fold", max_width=70)
    table.add_column("estimate", justify="right")
    for fit in fits:
        gaps = [g.text for g in fit.unmet]
        if fit.to_confirm:
            gaps.append(f"{len(fit.to_confirm)} to confirm (see --json)")
        estimate = "—"
        if fit.offer and fit.offer.low:
            low, high = fit.offer.low, fit.offer.high
            estimate = f"{format_money(low, fit.offer.currency)} – {format_money(high, fit.offer.currency)}"
        elif fit.offer:  # only a ceiling is published
            estimate = f"up to {format_money(fit.offer.high, fit.offer.currency)}"
        style = STATUS_STYLE[fit.status]
        table.add_row(
            f"{fit.lender} · {fit.product}",
            f"[{style}]{fit.status.replace('_', ' ')}[/]",
            "; ".join(gaps),
            estimate,
        )
    console.print(table)


def print_whatif(
    console: Console, changes: Sequence[str], before: Assessment, after: Assessment
) -> None:
    delta = after.score.score - before.score.score
    console.print(
        f"What if {', '.join(changes)}: score {before.score.score} → "
        f"[bold]{after.score.score}[/] ({delta:+d}). Nothing was saved."
    )
    print_components(console, after.score)
    was = {f.key: f.status for f in before.lender_fit}
    moved = [f for f in after.lender_fit if was.get(f.key) != f.status]
    for fit in moved:
        console.print(f"{fit.lender} · {fit.product}: {was.get(fit.key)} → {fit.status}")
    print_lender_fit(console, after.lender_fit)


def print_recommendations(
    console: Console,
    recommendations: Sequence[Recommendation],
    statuses: Mapping[str, str],
    this_week: set[str],
    *,
    title: str = "Recommendations (ranked by expected gain per effort)",
) -> None:
    if not recommendations:
        console.print("No recommendations: nothing in the data calls for an action now.")
        return
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("action", overflow="fold", max_width=60)
    table.add_column("gain", justify="right")
    table.add_column("effort")
    table.add_column("takes effect", overflow="fold", max_width=30)
    table.add_column("status")
    table.add_column("article")
    for r in recommendations:
        table.add_row(
            "★" if r.key in this_week else "",
            f"{r.title} [dim]({r.key})[/]",
            f"+{r.expected_gain}",
            r.effort,
            r.takes_effect,
            statuses.get(r.key, "open"),
            r.article,
        )
    console.print(table)
    if this_week:
        console.print("★ this week's plan")
