"""Cloud Function `compute_metrics` (Pub/Sub "stripe data changed" and "metrics refresh
requested"): recompute a business's metrics, once per burst (`vaultra.handlers.compute_metrics`)."""

from vaultra.entrypoints import cloud_event_function

compute_metrics = cloud_event_function("compute_metrics")
