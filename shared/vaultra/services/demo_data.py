"""Demo data for founders without Stripe: a generated history loaded through the real ingest path.

`request` (the API, owner only) links the business to a synthetic test-mode account derived from
its id (`acct_demo_<hex>`), records `demo_data.loaded` in the audit log in the same transaction,
and publishes "demo data requested". `load` (the `load_demo_data` function, off the request)
generates the scenario's history up to the moment it was asked for and applies its events exactly
as webhooks are applied — stored raw, normalized by the same mapping, written by the same versioned
upserts (`services.apply_events`) — then publishes "stripe data changed" (reason backfill), so the
metrics, their month-end history and the score follow as for a real import.

A business receives demo data once, and only if it never had a Stripe connection: its ledger is one
account's. A redelivered request regenerates the same history (the seed comes from the business,
the end from the message) and its upserts change nothing. The load records the generator version
that made the history (`generator_version` in the job's detail); the ids depend on it too.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vaultra.db.businesses import LinkedAccount
from vaultra.db.unit_of_work import Database
from vaultra.events.messages import DemoDataRequested
from vaultra.events.publisher import Publisher
from vaultra.sample_data.archetypes import ARCHETYPES, Archetype
from vaultra.services.apply_events import apply_and_store_imported
from vaultra.services.businesses import (
    DEMO_ACCOUNT_PREFIX,
    AccountAlreadyLinked,
    BusinessAlreadyConnected,
    BusinessHoldsOtherData,
    link_existing_business,
)
from vaultra.services.data_changed import announce_committed
from vaultra.services.tenancy import Access
from vaultra.stripe.events import parse_event

log = logging.getLogger(__name__)

# Events per transaction: large enough for set-based writes, small enough to keep each short.
BATCH = 2_000


class UnknownScenario(ValueError):
    pass


class HasStripeData(Exception):
    """The business is, or was, connected to Stripe or holds demo data already."""


@dataclass(frozen=True)
class DemoRequested:
    business_id: uuid.UUID
    account_id: str
    scenario: Archetype
    history_until: datetime


@dataclass(frozen=True)
class DemoLoaded:
    events: int
    applied: int
    months: int
    resources: dict[str, dict[str, int]]  # name → {"months_done", "objects"}
    generator_version: str  # the generator that made the history (`GENERATOR_VERSION`)

    def as_detail(self) -> dict[str, Any]:
        """What the job run records (and the sync status reads back)."""
        return {
            "events": self.events,
            "applied": self.applied,
            "months": self.months,
            "resources": self.resources,
            "generator_version": self.generator_version,
        }


def demo_account_id(business_id: uuid.UUID) -> str:
    """The business's synthetic account: stable, and never a real Stripe id. It need not name the
    generator version, unlike the ids in it: a business is loaded once, from a seed of its own."""
    return DEMO_ACCOUNT_PREFIX + business_id.hex


def demo_seed(business_id: uuid.UUID) -> int:
    """The generator's seed: one per business, so no two businesses share Stripe ids (raw events
    are keyed by their id alone)."""
    return int.from_bytes(business_id.bytes[:8], "big")


class DemoData:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = BATCH,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._clock = clock
        self._batch = batch

    def request(self, access: Access, scenario: Archetype, *, ip: str | None) -> DemoRequested:
        access.require_owner()
        if scenario not in ARCHETYPES:
            raise UnknownScenario(f"scenario must be one of {', '.join(ARCHETYPES)}")
        business_id = access.business_id
        account_id = demo_account_id(business_id)
        now = self._clock()
        try:
            with self._db.transaction() as uow:
                if uow.businesses.connection_of(business_id) is not None:
                    raise HasStripeData(
                        "the business is or was connected to Stripe, or holds demo data already"
                    )
                link_existing_business(uow, business_id, account_id, False, None)
                uow.audit.record(
                    "demo_data.loaded",
                    user_id=access.user_id,
                    business_id=business_id,
                    ip=ip,
                    detail={"scenario": scenario, "account_id": account_id},
                )
        except (AccountAlreadyLinked, BusinessAlreadyConnected, BusinessHoldsOtherData):
            # A concurrent request linked the business first.
            raise HasStripeData("the business holds demo data already") from None
        requested = DemoRequested(business_id, account_id, scenario, now)
        self._publisher.publish(
            DemoDataRequested(
                business_id=business_id,
                account_id=account_id,
                scenario=requested.scenario,
                history_until=now,
                requested_at=now,
            )
        )
        return requested

    def load(self, link: LinkedAccount, scenario: Archetype, until: datetime) -> DemoLoaded:
        """Generate the history and apply it as webhooks are applied; then announce the change."""
        # Imported here: the generator is only needed where demo data is loaded.
        from vaultra.sample_data.generator import generate

        history = generate(
            scenario,
            seed=demo_seed(link.business_id),
            now=int(until.timestamp()),
            account=link.account_id,
            livemode=link.livemode,
        )
        applied = 0
        for chunk in _chunks(history.events, self._batch):
            applied += self._apply(link, chunk)
        announce_committed(self._db, self._publisher, link, "backfill", self._clock())
        return DemoLoaded(
            events=len(history.events),
            applied=applied,
            months=len(_months(e["created"] for e in history.events)),
            resources={
                name: {
                    "months_done": len(_months(o["created"] for o in objects)),
                    "objects": len(objects),
                }
                for name, objects in history.objects.items()
                if objects
            },
            generator_version=history.generator_version,
        )

    def _apply(self, link: LinkedAccount, events: Sequence[dict[str, Any]]) -> int:
        """One batch in one transaction: applied to the ledger and stored raw, as received."""
        bodies = [json.dumps(event) for event in events]
        parsed = [parse_event(body) for body in bodies]
        with self._db.transaction() as uow:
            outcomes = apply_and_store_imported(uow, link, list(zip(parsed, bodies, strict=True)))
        return sum(1 for o in outcomes.values() if o.status == "applied")


def _chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _months(timestamps: Iterable[int]) -> set[tuple[int, int]]:
    """The calendar months (UTC) the timestamps fall in."""
    moments = (datetime.fromtimestamp(int(ts), UTC) for ts in timestamps)
    return {(m.year, m.month) for m in moments}
