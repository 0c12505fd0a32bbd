"""Benchmark inputs from the demo generator: webhook bodies, and Stripe objects for the backfill.

Three generated accounts (a SaaS, a web shop and a risky merchant) give about 30,000 events and
about 23,000 objects of the kinds the backfill imports. Webhook events are used once each (every
delivery is a new event); backfill objects are replicated with fresh ids (every id in an object,
references included, gets a replica suffix) to reach the requested count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vaultra.sample_data.generator import StripeHistory, generate
from vaultra.services.backfill import RESOURCES

# (archetype, seed, the account id it is generated for)
ACCOUNTS: tuple[tuple[str, int, str], ...] = (
    ("steady_saas", 11, "acct_1BenchSteadySaaS"),
    ("seasonal_ecommerce", 12, "acct_1BenchSeasonal0"),
    ("risky_merchant", 13, "acct_1BenchRiskyMrch"),
)
# The histories end on this day, so every run sends the same events.
HISTORY_END = int(datetime(2026, 11, 26, tzinfo=UTC).timestamp())

# What the backfill imports (vaultra.services.backfill.RESOURCES), in its order.
# What the backfill lists, in its order (the service's own table).
BACKFILL_RESOURCES = tuple(resource.name for resource in RESOURCES)

# A quoted Stripe id: a lowercase prefix, then a tail of 14+ letters and digits, with at least one
# capital or digit (so field values such as "charge_automatically" are not taken for ids).
_ID = re.compile(r'"([a-z]{2,8}_(?=[a-z]*[A-Z0-9])[A-Za-z0-9]{14,})"')


def histories() -> list[StripeHistory]:
    return [
        generate(archetype, seed=seed, now=HISTORY_END, account=account)
        for archetype, seed, account in ACCOUNTS
    ]


def interleaved_events(hists: list[StripeHistory]) -> list[dict[str, Any]]:
    """Every account's events in its own order, the accounts taking turns (as concurrent
    deliveries to several connected accounts arrive)."""
    queues = [list(h.events) for h in hists]
    out: list[dict[str, Any]] = []
    index = 0
    while any(index < len(q) for q in queues):
        out.extend(q[index] for q in queues if index < len(q))
        index += 1
    return out


def webhook_body(event: dict[str, Any]) -> bytes:
    """Stripe's webhook bodies are pretty-printed JSON (two-space indent)."""
    return json.dumps(event, indent=2).encode()


@dataclass(frozen=True)
class ObjectTemplates:
    """Objects of one account, by resource, as JSON text (parsed again per replica)."""

    account: str
    by_resource: dict[str, list[str]]

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_resource.values())


def object_templates(hists: list[StripeHistory]) -> list[ObjectTemplates]:
    return [
        ObjectTemplates(
            h.account,
            {r: [json.dumps(o) for o in h.objects.get(r, [])] for r in BACKFILL_RESOURCES},
        )
        for h in hists
    ]


def replica(text: str, suffix: str) -> dict[str, Any]:
    """A copy of the object with `suffix` appended to every id it holds."""
    loaded: dict[str, Any] = json.loads(_ID.sub(rf'"\1{suffix}"', text))
    return loaded


def backfill_batches(
    templates: list[ObjectTemplates], total: int, batch_size: int
) -> Iterator[tuple[int, str, list[dict[str, Any]]]]:
    """(account index, resource, objects) batches, ≥ `total` objects in all: each replica of each
    account imported resource by resource in batches of `batch_size`, as the backfill does."""
    per_round = sum(t.count for t in templates)
    rounds = max(1, -(-total // per_round))
    for r in range(rounds):
        suffix = f"R{r:03d}"
        for index, tmpl in enumerate(templates):
            for resource, texts in tmpl.by_resource.items():
                for start in range(0, len(texts), batch_size):
                    chunk = texts[start : start + batch_size]
                    yield index, resource, [replica(t, suffix) for t in chunk]


def backfill_total(templates: list[ObjectTemplates], total: int) -> int:
    per_round = sum(t.count for t in templates)
    return max(1, -(-total // per_round)) * per_round
