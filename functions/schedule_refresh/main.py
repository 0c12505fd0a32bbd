"""Cloud Function (Pub/Sub CloudEvent) `schedule_refresh`: the daily refresh's fan-out.

Cloud Scheduler publishes "daily refresh" once a day; this publishes one "metrics refresh
requested" per active, linked business, which `compute_metrics` picks up in parallel. A redelivered
tick is a no-op once its fan-out has succeeded (`job_runs`); a fan-out cut short is simply done again
(each computation it asks for is idempotent).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import functions_framework
from cloudevents.http import CloudEvent
from vaultra.bootstrap import get_engine
from vaultra.config import get_settings
from vaultra.db.job_runs import finish_job, start_job
from vaultra.events.cloudevent import decode_cloud_event
from vaultra.events.messages import DailyRefresh, InvalidMessage
from vaultra.events.publisher import build_publisher
from vaultra.logs import configure_logging
from vaultra.services.daily_refresh import fan_out_daily_refresh

log = logging.getLogger("vaultra.functions.schedule_refresh")


@functions_framework.cloud_event
def schedule_refresh(cloud_event: CloudEvent) -> None:
    configure_logging()
    try:
        received = decode_cloud_event(cloud_event, DailyRefresh)
    except InvalidMessage as exc:
        log.error("acknowledging an undecodable message: %s", exc)
        return
    as_of = received.message.as_of or datetime.now(UTC).date()
    settings = get_settings()
    engine = get_engine(settings)
    run_id = start_job(engine, "daily_refresh", received.message_id, None)
    if run_id is None:
        log.info("daily refresh %s already fanned out; nothing to do", received.message_id)
        return
    try:
        count = fan_out_daily_refresh(engine, build_publisher(settings), as_of)
    except Exception as exc:
        finish_job(engine, run_id, error=f"{type(exc).__name__}: {exc}")
        raise  # Pub/Sub redelivers the tick
    finish_job(engine, run_id, detail={"as_of": as_of.isoformat(), "businesses": count})
    log.info("daily refresh as of %s: %d businesses", as_of, count)
