"""Cloud Function `fetch_settlements` (Pub/Sub "settlements requested", from the reconciliation
tick): fetch the balance transactions a business's foreign-currency charges, refunds and disputes
lack (`vaultra.handlers.fetch_settlements`)."""

from vaultra.entrypoints import cloud_event_function

fetch_settlements = cloud_event_function("fetch_settlements")
