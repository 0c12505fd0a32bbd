"""Cloud Function `load_demo_data` (Pub/Sub "demo data requested"): load a generated history into
a business through the ingest path (`vaultra.handlers.load_demo_data`)."""

from vaultra.entrypoints import cloud_event_function

load_demo_data = cloud_event_function("load_demo_data")
