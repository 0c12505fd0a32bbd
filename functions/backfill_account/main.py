"""Cloud Function (Pub/Sub CloudEvent) `backfill_account`: import a linked account's history.

Triggered by "backfill requested". Redelivery is normal: a run whose message already succeeded is a
no-op, and a run cut short (timeout, crash) resumes from its checkpoints when the message comes
back. Raising asks Pub/Sub to redeliver; returning acknowledges.
"""

from __future__ import annotations

import dataclasses
import logging

import functions_framework
from cloudevents.http import CloudEvent
from vaultra.bootstrap import get_engine
from vaultra.config import get_settings
from vaultra.db.connections import find_account_any_mode
from vaultra.db.job_runs import finish_job, start_job
from vaultra.events.cloudevent import decode_cloud_event
from vaultra.events.messages import BackfillRequested, InvalidMessage
from vaultra.events.publisher import build_publisher
from vaultra.logs import configure_logging
from vaultra.services.backfill import Backfill, BackfillFailed
from vaultra.services.stripe_access import NoStripeCredentials, client_for_account

log = logging.getLogger("vaultra.functions.backfill_account")


@functions_framework.cloud_event
def backfill_account(cloud_event: CloudEvent) -> None:
    configure_logging()
    try:
        received = decode_cloud_event(cloud_event, BackfillRequested)
    except InvalidMessage as exc:
        log.error("acknowledging an undecodable message: %s", exc)  # retrying cannot fix it
        return
    request = received.message
    settings = get_settings()
    engine = get_engine(settings)
    with engine.connect() as conn:
        links = [
            link
            for link in find_account_any_mode(conn, request.account_id)
            if link.business_id == request.business_id
        ]
    if not links:
        log.warning("acknowledging a backfill for an account no longer linked to the business")
        return
    run_id = start_job(engine, "backfill", received.message_id, request.business_id)
    if run_id is None:
        log.info("message %s already processed; nothing to do", received.message_id)
        return
    link = links[0]
    try:
        client = client_for_account(settings, link)
    except NoStripeCredentials as exc:
        finish_job(engine, run_id, error=str(exc))
        raise  # a deployment fix, then Pub/Sub's redelivery
    try:
        report = Backfill(engine, client, link, build_publisher(settings)).run()
    except BackfillFailed as exc:
        finish_job(engine, run_id, error=str(exc))
        if exc.retryable:
            raise
        log.error("backfill cannot succeed without a change; acknowledging: %s", exc)
        return
    finish_job(engine, run_id, detail=dataclasses.asdict(report))
