"""Cloud Function `stripe_webhook` (HTTP, from Stripe): verify, record, normalize, publish
(`vaultra.services.webhook`); GET /healthz and /readyz answer probes."""

from vaultra.entrypoints import webhook_function

stripe_webhook = webhook_function()
