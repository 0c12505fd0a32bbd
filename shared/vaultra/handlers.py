"""What each Pub/Sub message asks of the runtime, and which function it triggers.

A handler takes a decoded message and returns to acknowledge it, or raises to have Pub/Sub
deliver it again. `FUNCTIONS` is the map the entry points (`vaultra.entrypoints`), the local stack
and the deployment share: function name → the messages that trigger it, its handler and the
settings it needs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from uuid import UUID

from vaultra.bootstrap import Runtime
from vaultra.config import Requirement
from vaultra.db.businesses import LinkedAccount
from vaultra.domain.metrics.periods import scoring_day
from vaultra.events.cloudevent import DeadLetter, ReceivedMessage
from vaultra.events.messages import (
    BackfillRequested,
    DailyRefresh,
    DemoDataRequested,
    Message,
    MetricsComputed,
    MetricsRefreshRequested,
    ReconcileTick,
    SettlementsRequested,
    StripeDataChanged,
)
from vaultra.services.backfill import BackfillFailed
from vaultra.services.stripe_access import NoStripeCredentials

log = logging.getLogger("vaultra.handlers")

Handler = Callable[[Runtime, ReceivedMessage[Any]], None]


class Retry(RuntimeError):
    """The message cannot be handled now; Pub/Sub should deliver it again later."""


def compute_metrics(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """On "stripe data changed" (as of today) or a refresh request (as of its day)."""
    message = received.message
    assert isinstance(message, StripeDataChanged | MetricsRefreshRequested)
    metrics = runtime.metrics
    today = runtime.clock().astimezone(UTC).date()
    as_of = today if isinstance(message, StripeDataChanged) else message.as_of
    run = metrics.refresh(
        message.business_id,
        as_of,
        data_version=message.data_version,
        # Changes to the live day come in bursts; a past day's refresh is one message.
        debounce=as_of == today,
    )
    if run.outcome == "inactive":
        log.warning("acknowledging metrics for a business that is gone or inactive")
        return
    if run.outcome == "busy":
        if metrics.coalesces(message.business_id, as_of):
            log.info("metrics of %s are being computed; the holder will see this change", as_of)
            return
        raise Retry(f"metrics of {message.business_id} as of {as_of} are being computed")
    if isinstance(message, StripeDataChanged) and message.reason == "backfill":
        metrics.history(message.business_id, as_of)  # the month-end trend of the new history
    log.info(
        "metrics of %s as of %s: %s (%d computation(s))",
        message.business_id,
        as_of,
        run.outcome,
        run.computations,
    )


def score_business(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """On "metrics computed": score them, store lender fit and recommendations, raise alerts."""
    message = received.message
    assert isinstance(message, MetricsComputed)
    readiness = runtime.readiness
    if readiness.scored_from_latest_run(message.business_id, message.as_of):
        # A burst announces each of its computations; the first scoring after the last one
        # covers them all, and a redelivery likewise.
        log.info(
            "%s as of %s is already scored from its latest metrics",
            message.business_id,
            message.as_of,
        )
        return
    scored = readiness.score(message.business_id, message.as_of)
    if scored is None:
        # The metrics of that day are gone (a deleted business) or under another policy version.
        log.warning("no metrics of %s as of %s to score", message.business_id, message.as_of)
        return
    log.info(
        "scored %s as of %s: %d (%d alert(s) raised)",
        message.business_id,
        message.as_of,
        scored.assessment.score.score,
        len(scored.raised),
    )


def _link_of(runtime: Runtime, account_id: str, business_id: UUID) -> LinkedAccount | None:
    """The account's link to this business, if it is still linked to it: a request made for a
    link since removed or moved is acknowledged, never run against another business."""
    return next((x for x in runtime.links(account_id) if x.business_id == business_id), None)


def backfill_account(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """On "backfill requested": import the account's history, resuming from its checkpoints."""
    request = received.message
    assert isinstance(request, BackfillRequested)
    link = _link_of(runtime, request.account_id, request.business_id)
    if link is None:
        log.warning("acknowledging a backfill for an account no longer linked to the business")
        return
    with runtime.jobs.run("backfill", received.message_id, request.business_id) as job:
        if job is None:
            log.info("message %s already processed; nothing to do", received.message_id)
            return
        try:
            report = runtime.backfill(link).run()
        except NoStripeCredentials as exc:
            raise Retry(str(exc)) from exc  # a deployment fix, then Pub/Sub's redelivery
        except BackfillFailed as exc:
            if exc.retryable:
                raise Retry(str(exc)) from exc
            job.error = str(exc)
            log.error("backfill cannot succeed without a change; acknowledging: %s", exc)
            return
        job.detail = dataclasses.asdict(report)


def fetch_settlements(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """On "settlements requested" (the reconciliation tick): fetch the balance transactions the
    business's foreign-currency charges, refunds and disputes lack. Refused credentials and Stripe
    outages end the run acknowledged: the tick asks again, and failed objects wait (never a
    redelivery loop)."""
    request = received.message
    assert isinstance(request, SettlementsRequested)
    link = _link_of(runtime, request.account_id, request.business_id)
    if link is None:
        log.warning("acknowledging settled amounts for an account no longer linked to the business")
        return
    with runtime.jobs.run("settlements", received.message_id, request.business_id) as job:
        if job is None:
            log.info("message %s already processed; nothing to do", received.message_id)
            return
        report = runtime.settlements(link).run()
        job.detail = dataclasses.asdict(report)
        job.error = report.refused or report.interrupted
    log.info(
        "settled amounts of %s: %d of %d object(s) settled, %d without one%s",
        request.business_id,
        report.settled,
        report.due,
        report.missing,
        " (another run holds the business)" if report.busy else "",
    )


def load_demo_data(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """On "demo data requested": load the scenario's history through the ingest path, once."""
    request = received.message
    assert isinstance(request, DemoDataRequested)
    link = _link_of(runtime, request.account_id, request.business_id)
    if link is None:
        log.warning("acknowledging demo data for a business no longer linked to its demo account")
        return
    with runtime.jobs.run("demo_data", received.message_id, request.business_id) as job:
        if job is None:
            log.info("message %s already processed; nothing to do", received.message_id)
            return
        loaded = runtime.demo_data.load(link, request.scenario, request.history_until)
        job.detail = loaded.as_detail()
    log.info(
        "demo data %s (generator %s): %d events into %s",
        request.scenario,
        loaded.generator_version,
        loaded.events,
        request.business_id,
    )


def schedule_refresh(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """The daily tick: one refresh request per active, linked business, once per tick."""
    message = received.message
    assert isinstance(message, DailyRefresh)
    # The day that is over: no trailing window it reads is cut short by a day in progress
    # (docs/METRICS.md, "Month starts"); live changes keep today's run current meanwhile.
    as_of = message.as_of or scoring_day(runtime.clock())
    with runtime.jobs.run("daily_refresh", received.message_id, None) as job:
        if job is None:
            log.info("daily refresh %s already fanned out; nothing to do", received.message_id)
            return
        count = runtime.fan_out_daily_refresh(as_of)  # raising: Pub/Sub redelivers the tick
        # Retention rides on the daily tick: once a day, and idempotent if it ever runs twice.
        pruned = runtime.prune_raw_events()
        job.detail = {"as_of": as_of.isoformat(), "businesses": count, "raw_events_pruned": pruned}
    log.info("daily refresh as of %s: %d businesses, %d raw events pruned", as_of, count, pruned)


def reconcile(runtime: Runtime, received: ReceivedMessage[Any]) -> None:
    """The reconciliation tick: ask again for whatever is behind (idempotent, level-triggered)."""
    assert isinstance(received.message, ReconcileTick)
    report = runtime.reconcile()
    log.info(
        "reconciliation as of %s: %d metrics, %d scores and %d settled amounts requested",
        report.day,
        report.metrics_requested,
        report.scores_requested,
        report.settlements_requested,
    )


def dead_letter(runtime: Runtime, letter: DeadLetter) -> None:
    runtime.record_dead_letter(letter)


@dataclass(frozen=True)
class Function:
    """One Pub/Sub-triggered Cloud Function: what triggers it, what it does, what it needs."""

    name: str
    messages: tuple[type[Message], ...]
    handle: Handler
    needs: tuple[Requirement, ...] = ("database", "event_bus")


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("backfill_account", (BackfillRequested,), backfill_account,
                 ("database", "event_bus", "credentials_key")),
        Function("compute_metrics", (StripeDataChanged, MetricsRefreshRequested), compute_metrics),
        Function("schedule_refresh", (DailyRefresh,), schedule_refresh),
        Function("score_business", (MetricsComputed,), score_business, ("database",)),
        Function("reconcile", (ReconcileTick,), reconcile),
        Function("load_demo_data", (DemoDataRequested,), load_demo_data),
        Function("fetch_settlements", (SettlementsRequested,), fetch_settlements,
                 ("database", "event_bus", "credentials_key")),
    )
}  # fmt: skip

# The function every dead-letter topic triggers (`vaultra.entrypoints.dead_letter_function`).
DEAD_LETTERS = "dead_letters"
DEAD_LETTER_NEEDS: tuple[Requirement, ...] = ("database",)
WEBHOOK = "stripe_webhook"
WEBHOOK_NEEDS: tuple[Requirement, ...] = ("database", "event_bus", "webhook_secret")
API = "api"
API_NEEDS: tuple[Requirement, ...] = (
    "database",
    "event_bus",
    "credentials_key",
    "jwt_secret",
    "public_url",
    "mail",
    "reports_bucket",
    "llm",  # the chat
    "knowledge",
)
# The Cloud Run service serving MCP (`agent_service/`): the tools read the database and verify
# the API's tokens; its search_knowledge embeds questions as the index did.
AGENT = "agent"
AGENT_NEEDS: tuple[Requirement, ...] = ("database", "jwt_secret", "public_url", "knowledge")
