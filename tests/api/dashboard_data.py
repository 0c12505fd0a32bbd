"""Stored data for the dashboard's tests, made by the real services: a hand-written ledger whose
metrics `runtime.metrics.refresh` computes, and a chosen metric set scored by
`runtime.readiness.score` on the day it was computed (so recommendations and alerts follow it)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from fastapi.testclient import TestClient
from vaultra.bootstrap import Runtime
from vaultra.domain.metrics.records import Ledger
from vaultra.services.readiness import Scored

from tests.api.conftest import User
from tests.db.test_metrics_hand_computed import at, charge, monthly, state
from tests.services.test_readiness_service import PROFILE
from tests.support.ledger_records import load_ledger, save_metrics

# MRR by hand: sub_a is 3 seats × 2,900 = 8,700 from 2026-01-05; sub_b adds 10,000 from
# 2026-03-10 (18,700); sub_a is canceled on 2026-05-20 (10,000 from that day on).
LEDGER = Ledger(
    charges=(charge("ch_1", at(2026, 1, 10), 8_700, "cus_a", settled_usd=8_700),),
    states=(
        state("sub_a", "cus_a", at(2026, 1, 5), monthly(2_900, 3), currency="usd"),
        state("sub_b", "cus_b", at(2026, 3, 10), monthly(10_000), currency="usd"),
        state("sub_a", "cus_a", at(2026, 5, 20), status="canceled", currency="usd"),
    ),
)
MRR_BY_DAY = {
    date(2026, 1, 31): 8_700,
    date(2026, 2, 28): 8_700,
    date(2026, 3, 31): 18_700,
    date(2026, 4, 30): 18_700,
    date(2026, 5, 18): 18_700,
    date(2026, 5, 19): 18_700,
    date(2026, 5, 20): 10_000,
    date(2026, 5, 21): 10_000,
    date(2026, 5, 31): 10_000,
    date(2026, 6, 3): 10_000,
}


def business_of(user: User, client: TestClient, name: str = "Acme") -> uuid.UUID:
    return uuid.UUID(user.business(client, name)["id"])


def load_history(runtime: Runtime, business: uuid.UUID) -> None:
    """The ledger above, with its metrics computed by the metrics service on every day of
    `MRR_BY_DAY`."""
    with runtime.database.transaction() as uow:
        load_ledger(uow.conn, business, LEDGER)
    for day in MRR_BY_DAY:
        run = runtime.metrics.refresh(business, day)
        assert run.outcome == "computed", (day, run.outcome)


def score_profile(
    runtime: Runtime, business: uuid.UUID, day: date, currency: str = "usd", **changes: Any
) -> Scored:
    """`PROFILE` (with `changes`) saved as the day's metrics, computed that morning, and scored:
    the day is current, so its recommendations and alerts are stored too."""
    with runtime.database.transaction() as uow:
        save_metrics(
            uow.conn,
            business,
            day,
            {**PROFILE, **changes},
            computed_at=datetime.combine(day, time(6), UTC),
            currency=currency,
        )
    scored = runtime.readiness.score(business, day)
    assert scored is not None
    return scored
