"""Funding-readiness metrics: the policy of docs/METRICS.md, pure.

`periods` turns an as-of day into the instants and windows every metric uses; `aggregates` is the
small set of sums and counts the ledger query (`vaultra.db.metrics_query`) and the reference
implementation (`vaultra_dev.reference_metrics`) both produce; `formulas` turns aggregates into the
published metric set. Only the reference looks at individual records, and only to cross-check the
SQL in tests.
"""
