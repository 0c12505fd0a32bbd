"""Pub/Sub topic names: the single source of truth for the code and for Terraform.

Each environment is its own Google Cloud project, so the names are constants, never settings.
Every topic has a dead-letter topic (`<topic>-dead-letter`) where Pub/Sub puts a message it stopped
retrying; the `dead_letters` function subscribes to each of them.

`python -m vaultra.events.topics` prints `{"topics": {...}, "dead_letter_topics": {...}}` as JSON
for Terraform's external data source.
"""

from __future__ import annotations

import json

STRIPE_DATA_CHANGED = "vaultra-stripe-data-changed"
BACKFILL_REQUESTED = "vaultra-backfill-requested"
METRICS_COMPUTED = "vaultra-metrics-computed"
DAILY_REFRESH = "vaultra-daily-refresh"
METRICS_REFRESH_REQUESTED = "vaultra-metrics-refresh-requested"
RECONCILE_TICK = "vaultra-reconcile-tick"
DEMO_DATA_REQUESTED = "vaultra-demo-data-requested"
SETTLEMENTS_REQUESTED = "vaultra-settlements-requested"

TOPICS: dict[str, str] = {
    "stripe_data_changed": STRIPE_DATA_CHANGED,
    "backfill_requested": BACKFILL_REQUESTED,
    "metrics_computed": METRICS_COMPUTED,
    "daily_refresh": DAILY_REFRESH,
    "metrics_refresh_requested": METRICS_REFRESH_REQUESTED,
    "reconcile_tick": RECONCILE_TICK,
    "demo_data_requested": DEMO_DATA_REQUESTED,
    "settlements_requested": SETTLEMENTS_REQUESTED,
}

DEAD_LETTER_SUFFIX = "-dead-letter"


def dead_letter_topic(topic: str) -> str:
    """The topic Pub/Sub moves a message of `topic` to after its last delivery attempt."""
    return topic + DEAD_LETTER_SUFFIX


DEAD_LETTER_TOPICS: dict[str, str] = {key: dead_letter_topic(name) for key, name in TOPICS.items()}

if __name__ == "__main__":  # pragma: no cover - used by terraform's external data source
    print(json.dumps({"topics": TOPICS, "dead_letter_topics": DEAD_LETTER_TOPICS}))
