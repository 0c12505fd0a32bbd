"""Pub/Sub topic names: the single source of truth.

Terraform reads `TOPICS` through `python -m vaultra.events.topics` (JSON), so code and infrastructure
cannot drift apart.
"""

from __future__ import annotations

import json

STRIPE_DATA_CHANGED = "vaultra-stripe-data-changed"
BACKFILL_REQUESTED = "vaultra-backfill-requested"
METRICS_COMPUTED = "vaultra-metrics-computed"
DAILY_REFRESH = "vaultra-daily-refresh"
METRICS_REFRESH_REQUESTED = "vaultra-metrics-refresh-requested"

TOPICS: dict[str, str] = {
    "stripe_data_changed": STRIPE_DATA_CHANGED,
    "backfill_requested": BACKFILL_REQUESTED,
    "metrics_computed": METRICS_COMPUTED,
    "daily_refresh": DAILY_REFRESH,
    "metrics_refresh_requested": METRICS_REFRESH_REQUESTED,
}

if __name__ == "__main__":  # pragma: no cover - used by terraform's external data source
    print(json.dumps(TOPICS))
