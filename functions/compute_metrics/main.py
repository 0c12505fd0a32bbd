"""Cloud Function (Pub/Sub CloudEvent) `compute_metrics`: recompute a business's metrics.

Triggered by "stripe data changed" (as of today, UTC) and by "metrics refresh requested" (the daily
refresh's fan-out, as of its day). Saves the snapshots, then publishes "metrics computed".

Redelivery and bursts are normal (see `vaultra.services.metrics`): a message whose change the
latest computation already saw is acknowledged without work; one that finds the business's
computation running is retried by Pub/Sub, and is then usually already seen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import functions_framework
from cloudevents.http import CloudEvent
from vaultra.bootstrap import get_engine
from vaultra.config import get_settings
from vaultra.events.cloudevent import decode_cloud_event_as_one_of
from vaultra.events.messages import InvalidMessage, MetricsRefreshRequested, StripeDataChanged
from vaultra.events.publisher import build_publisher
from vaultra.logs import configure_logging
from vaultra.services.metrics import refresh_after_change

log = logging.getLogger("vaultra.functions.compute_metrics")


class BusinessBusy(RuntimeError):
    """Another computation of this business is running: retry the message later."""


@functions_framework.cloud_event
def compute_metrics(cloud_event: CloudEvent) -> None:
    configure_logging()
    try:
        received = decode_cloud_event_as_one_of(
            cloud_event, (StripeDataChanged, MetricsRefreshRequested)
        )
    except InvalidMessage as exc:
        log.error("acknowledging an undecodable message: %s", exc)  # retrying cannot fix it
        return
    message = received.message
    assert isinstance(message, StripeDataChanged | MetricsRefreshRequested)
    as_of = (
        message.as_of if isinstance(message, MetricsRefreshRequested) else datetime.now(UTC).date()
    )
    settings = get_settings()
    live = isinstance(message, StripeDataChanged)
    run = refresh_after_change(
        get_engine(settings),
        message.business_id,
        as_of,
        data_version=message.data_version,
        imported_history=isinstance(message, StripeDataChanged) and message.reason == "backfill",
        publisher=build_publisher(settings),
        # Only live changes come in bursts; the daily refresh sends one message per business.
        debounce_s=settings.metrics_debounce_s if live else 0,
    )
    if run is None:
        log.warning("acknowledging metrics for a business that is gone or inactive")
        return
    if run.outcome == "busy":
        raise BusinessBusy(f"metrics of {message.business_id} are being computed; retry later")
    log.info("metrics of %s as of %s: %s", message.business_id, as_of, run.outcome)
