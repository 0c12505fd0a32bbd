"""Alerts a founder is told about, decided from this assessment and the one before it.

Each alert carries a `dedupe_key` naming the event it is about, so raising it again — on a
redelivered message or a recompute of the same day — finds it already raised:

- score drop: 5 points or more below the previous day's score (key: the day);
- dispute activity crossing Visa's 0.65 % early-warning line, or reaching 1.2 %, where the 1.5 %
  VAMP excessive line is near (key: the day it crossed; staying above is not a new event);
- a failed payout (key: its arrival date);
- data older than 48 hours (key: the latest data's time; a new episode needs new data first);
- Stripe access revoked by the founder in Stripe (key: the deauthorization event), raised by
  ingest rather than by scoring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.numbers import percent
from vaultra.domain.scoring.model import EARLY_WARNING, VAMP_EXCESSIVE, dispute_activity

SCORE_DROP = 5
VAMP_APPROACH = VAMP_EXCESSIVE * Decimal("0.8")  # 1.2 %: Vaultra's "approaching" line
STALE_HOURS = 48

Kind = Literal[
    "score_drop",
    "dispute_early_warning",
    "dispute_vamp",
    "payout_failed",
    "stale_data",
    "stripe_access_revoked",
]
Severity = Literal["info", "warning", "critical"]
_DISPUTE_LINES: tuple[tuple[Decimal, Kind, Severity, str], ...] = (
    (EARLY_WARNING, "dispute_early_warning", "warning", "Dispute activity crossed 0.65 %"),
    (VAMP_APPROACH, "dispute_vamp", "critical", "Dispute activity is near Visa's 1.5 % line"),
)


@dataclass(frozen=True)
class Alert:
    kind: Kind
    dedupe_key: str
    severity: Severity
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """What alerts compare: a day's score and the inputs it was computed from."""

    as_of: date
    score: int
    inputs: Mapping[str, MetricValue]


def alerts(current: Reading, previous: Reading | None) -> list[Alert]:
    found: list[Alert] = []
    if previous is not None and previous.score - current.score >= SCORE_DROP:
        drop = previous.score - current.score
        found.append(
            Alert(
                "score_drop",
                f"score_drop:{current.as_of}",
                "warning",
                f"Readiness score fell {drop} points",
                f"Your score is {current.score}, down from {previous.score} on {previous.as_of}.",
                {"from": previous.score, "to": current.score, "since": str(previous.as_of)},
            )
        )
    found += _dispute_alerts(current, previous)
    failed_on = current.inputs.get("last_payout_failure_at")
    failed = current.inputs.get("payouts_failed_90d")
    if isinstance(failed_on, str) and isinstance(failed, int) and failed > 0:
        found.append(
            Alert(
                "payout_failed",
                f"payout_failed:{failed_on}",
                "critical",
                "A payout failed",
                f"A payout due on {failed_on[:10]} failed. Lenders read failed payouts as a sign "
                "of bank-account trouble: check the account with Stripe.",
                {"arrival_date": failed_on},
            )
        )
    age = current.inputs.get("data_age_hours")
    synced = current.inputs.get("last_synced_at")
    if isinstance(age, int) and age > STALE_HOURS:
        found.append(
            Alert(
                "stale_data",
                f"stale_data:{synced}",
                "warning",
                "Nothing heard from Stripe for over 48 hours",
                f"Vaultra last heard from Stripe {age} hours ago (no webhook, no completed "
                "import): the score may not reflect today. Check the connection in Settings.",
                {"last_synced_at": synced, "age_hours": age},
            )
        )
    return found


def stripe_access_revoked(account_id: str, event_id: str, on: date) -> Alert:
    """Access to the account was revoked in Stripe: ingest stopped, the data so far is kept."""
    return Alert(
        "stripe_access_revoked",
        f"stripe_access_revoked:{event_id}",
        "critical",
        "Vaultra can no longer read your Stripe account",
        f"Access to {account_id} was revoked in Stripe on {on.isoformat()}. The data imported "
        "so far is kept, but the score will not follow new activity until you connect Stripe "
        "again.",
        {"account_id": account_id, "event_id": event_id},
    )


def _dispute_alerts(current: Reading, previous: Reading | None) -> list[Alert]:
    now = dispute_activity(current.inputs)
    before = dispute_activity(previous.inputs) if previous else None
    if now is None:
        return []
    out = []
    for line, kind, severity, title in _DISPUTE_LINES:
        if now >= line and (before is None or before < line):
            out.append(
                Alert(
                    kind,
                    f"{kind}:{current.as_of}",
                    severity,
                    title,
                    f"Dispute activity is {percent(now)} (Visa's early-warning band starts at "
                    f"{percent(EARLY_WARNING)}; VAMP's excessive line is {percent(VAMP_EXCESSIVE)}).",
                    {"dispute_activity": str(now), "line": str(line)},
                )
            )
    return out
