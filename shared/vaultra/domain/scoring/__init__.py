"""The readiness score: a versioned, explained model over the metric set (docs/SCORING.md)."""
