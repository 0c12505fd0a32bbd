"""Development-only code: never shipped in a deployed function or service.

- `stripe_api`: a loopback server of Stripe's list API that serves a generated history to the
  official SDK, as a newly linked account is backfilled;
- `reference_metrics`: the metric policy written record by record, the oracle the SQL is checked
  against;
- `demo`: `vaultra demo`;
- `loopback`: free ports and stopping servers started for the demo, tests and benchmarks.

The history generator it used to hold ships now, as `vaultra.sample_data`: founders without
Stripe load its histories as demo data (`POST /api/v1/businesses/{id}/demo-data`).

`vaultra` never imports this package, except `vaultra demo`, which loads it on demand
(an import-linter contract holds both rules).
"""
