"""A tiny Cloud Function used by the events tests.

It decodes a `StripeDataChanged` from the CloudEvent it is given and appends what it decoded as one
JSON line to the file named by `VAULTRA_FIXTURE_RECORD_FILE`. The same function runs under
functions-framework (test client or a real server fed by the Pub/Sub emulator) and on the LocalBus.
"""

from __future__ import annotations

import json
import os

import functions_framework
from cloudevents.http import CloudEvent
from vaultra.events.cloudevent import decode_cloud_event
from vaultra.events.messages import StripeDataChanged

RECORD_FILE_ENV = "VAULTRA_FIXTURE_RECORD_FILE"


@functions_framework.cloud_event
def record_stripe_data_changed(event: CloudEvent) -> None:
    received = decode_cloud_event(event, StripeDataChanged)
    line = {
        "message_id": received.message_id,
        "topic": received.topic,
        "subscription": received.subscription,
        "attributes": received.attributes,
        "event_type": event["type"],
        "message": received.message.model_dump(mode="json"),
    }
    with open(os.environ[RECORD_FILE_ENV], "a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
