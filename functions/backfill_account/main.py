"""Cloud Function `backfill_account` (Pub/Sub "backfill requested"): import a linked account's
history, resuming from its checkpoints (`vaultra.handlers.backfill_account`)."""

from vaultra.entrypoints import cloud_event_function

backfill_account = cloud_event_function("backfill_account")
