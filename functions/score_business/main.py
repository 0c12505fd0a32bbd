"""Cloud Function (Pub/Sub CloudEvent) `score_business`: score a business after its metrics.

Triggered by "metrics computed". Scores the saved metrics of that day, stores the score with its
lender fit and recommendations, and raises alerts. Redelivery is harmless: the same metrics give the
same rows and every alert is raised once (`vaultra.services.readiness`). A database error raises,
so Pub/Sub retries; an undecodable message is acknowledged, since retrying cannot fix it.
"""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent
from vaultra.bootstrap import get_engine
from vaultra.config import get_settings
from vaultra.events.cloudevent import decode_cloud_event_as_one_of
from vaultra.events.messages import InvalidMessage, MetricsComputed
from vaultra.logs import configure_logging
from vaultra.services.readiness import score_business as score

log = logging.getLogger("vaultra.functions.score_business")


@functions_framework.cloud_event
def score_business(cloud_event: CloudEvent) -> None:
    configure_logging()
    try:
        message = decode_cloud_event_as_one_of(cloud_event, (MetricsComputed,)).message
    except InvalidMessage as exc:
        log.error("acknowledging an undecodable message: %s", exc)
        return
    assert isinstance(message, MetricsComputed)
    scored = score(get_engine(get_settings()), message.business_id, message.as_of)
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
