"""Benchmarks of Vaultra's ingest paths, run against a local embedded PostgreSQL.

`python -m bench.ingest` (or `make bench`) measures webhook throughput and latency through the real
functions-framework HTTP server on loopback, and the backfill's normalize-and-write rate. See
docs/BENCHMARKS.md for what is measured, how, and the latest results.
"""
