"""Vaultra core: Stripe ingest, ledger, metrics and readiness."""
