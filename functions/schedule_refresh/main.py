"""Cloud Function `schedule_refresh` (Pub/Sub "daily refresh", from Cloud Scheduler): one refresh
request per active, linked business (`vaultra.handlers.schedule_refresh`)."""

from vaultra.entrypoints import cloud_event_function

schedule_refresh = cloud_event_function("schedule_refresh")
