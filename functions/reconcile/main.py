"""Cloud Function `reconcile` (Pub/Sub "reconcile tick", from Cloud Scheduler every few minutes):
ask again for every business whose metrics or score are behind (`vaultra.handlers.reconcile`)."""

from vaultra.entrypoints import cloud_event_function

reconcile = cloud_event_function("reconcile")
