"""Cloud Function `score_business` (Pub/Sub "metrics computed"): score the saved metrics, store
lender fit and recommendations, raise alerts once (`vaultra.handlers.score_business`)."""

from vaultra.entrypoints import cloud_event_function

score_business = cloud_event_function("score_business")
