"""The machinery under the demo generator: ids, time arithmetic, randomness helpers and the recorder
that keeps every object's current state and snapshots it into Stripe events.

Everything here is deterministic: ids come from a hash of (seed, counter) keyed by the generator
version and the seed, randomness only from the `random.Random` the caller hands in.
"""

from __future__ import annotations

import hashlib
import math
import random
from calendar import monthrange
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

API_VERSION = "2024-06-20"

MINUTE = 60
HOUR = 3600
DAY = 86_400
WEEK = 7 * DAY

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BYTE_TO_BASE62 = bytes(ord(_BASE62[b % 62]) for b in range(256))

# Stripe ids are a prefix and a random-looking tail whose length depends on the resource: customers,
# products and subscription items are short (14), payment-flow objects long (24).
_TAIL_LENGTH = {"cus": 14, "prod": 14, "si": 14, "acct": 16, "ba": 24, "pm": 24}

Obj = dict[str, Any]


class IdFactory:
    """Stripe-looking ids derived from the generator version, the seed and a counter: a rerun of the
    same generator reproduces every id, and another version of it issues other ids for the seed."""

    def __init__(self, seed: int | str, version: str) -> None:
        # blake2b keys are at most 64 bytes: the key is a digest of the whole key material, so no
        # part of a long seed or version is cut off (two seeds must never share a key).
        material = f"vaultra-demo:{version}:{seed}".encode()
        self._key = hashlib.blake2b(material, digest_size=64).digest()
        self._counter = 0
        self._issued: set[str] = set()

    def new(self, prefix: str) -> str:
        length = _TAIL_LENGTH.get(prefix, 24)
        while True:
            self._counter += 1
            candidate = f"{prefix}_{self._tail(self._counter, length)}"
            if (
                candidate not in self._issued
            ):  # a collision is astronomically rare, but cheap to rule out
                self._issued.add(candidate)
                return candidate

    def token(self, length: int) -> str:
        """A bare random-looking string (coupon codes, invoice prefixes, idempotency keys)."""
        self._counter += 1
        return self._tail(self._counter, length)

    def _tail(self, counter: int, length: int) -> str:
        digest = hashlib.blake2b(counter.to_bytes(8, "big"), key=self._key, digest_size=length)
        # Each byte picks a base62 digit; the slight bias of `byte % 62` is irrelevant here.
        return digest.digest().translate(_BYTE_TO_BASE62).decode("ascii")


# --- Time ---------------------------------------------------------------------------------------


def midnight(ts: int) -> int:
    """The UTC midnight starting the day of `ts` (Stripe's `available_on` and `arrival_date`)."""
    return ts - ts % DAY


def add_months(anchor: int, months: int) -> int:
    """`anchor` moved by whole calendar months, clamping the day like Stripe's billing anchors
    (a subscription started on the 31st renews on the 30th in April and the 31st again in May)."""
    start = datetime.fromtimestamp(anchor, UTC)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def add_interval(anchor: int, interval: str, count: int, periods: int) -> int:
    """The end of `periods` billing periods of `count` `interval`s after `anchor`."""
    if interval == "month":
        return add_months(anchor, count * periods)
    if interval == "year":
        return add_months(anchor, 12 * count * periods)
    if interval == "week":
        return anchor + WEEK * count * periods
    return anchor + DAY * count * periods


def month_of(ts: int) -> int:
    return datetime.fromtimestamp(ts, UTC).month


def weekday_of(ts: int) -> int:
    """Monday is 0, like `datetime.weekday`."""
    return (ts // DAY + 3) % 7  # 1970-01-01 was a Thursday


def next_business_day(ts: int) -> int:
    """The UTC midnight of the first weekday at or after `ts` (banks do not settle at weekends)."""
    day = midnight(ts)
    while weekday_of(day) >= 5:
        day += DAY
    return day


def iso_date(ts: int) -> str:
    """The date as Stripe's line descriptions write it ("Sep 4, 2024")."""
    day = datetime.fromtimestamp(ts, UTC)
    return f"{day:%b} {day.day}, {day.year}"


# --- Randomness ---------------------------------------------------------------------------------


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's method for small means, a rounded normal for large ones (scale 100
    gives hundreds of orders a day, where Knuth's loop would be slow)."""
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def pick(rng: random.Random, weighted: dict[Any, float]) -> Any:
    """A key drawn with probability proportional to its weight (one random number per draw)."""
    target = rng.random() * sum(weighted.values())
    for key, weight in weighted.items():
        target -= weight
        if target < 0:
            return key
    return key


def time_in_day(rng: random.Random, day: int, peak_hour_utc: float, spread_hours: float) -> int:
    """A moment within the UTC day starting at `day`, clustered around a local busy hour."""
    hour = rng.gauss(peak_hour_utc, spread_hours) % 24
    return day + int(hour * HOUR) + rng.randrange(60)


# --- Snapshots and events -----------------------------------------------------------------------


def clone(obj: Obj) -> Obj:
    """A deep copy of a JSON-shaped dict, several times faster than `copy.deepcopy`, which matters
    when a benchmark history holds a million snapshots. Leaves (str, int, float, bool, None) are
    immutable and shared; every dict and list is new."""
    out = obj.copy()
    for key, value in obj.items():
        kind = type(value)
        if kind is dict:
            out[key] = clone(value)
        elif kind is list:
            out[key] = [clone(item) if type(item) is dict else item for item in value]
    return out


class Recorder:
    """Holds the live state of every object and turns state changes into Stripe events.

    Each emitted event carries a deep copy of the object at that moment; `*.updated` events also get
    `previous_attributes`, computed by diffing against the object's previous snapshot so they can
    never disagree with the snapshots themselves. Events of one object are kept at least a second
    apart so that a consumer ordering by `created` sees them in the order they happened.
    """

    def __init__(self, ids: IdFactory, account: str, livemode: bool, now: int) -> None:
        self.ids = ids
        self.account = account
        self.livemode = livemode
        self.now = now
        self.events: list[Obj] = []
        self._resources: dict[str, list[Obj]] = {}
        self._last_at: dict[str, int] = {}
        self._last_snapshot: dict[str, Obj] = {}
        self._deleted: set[str] = set()

    def add(self, resource: str, obj: Obj) -> Obj:
        """Registers a new object under its Stripe list name ("charges", "invoices", ...)."""
        self._resources.setdefault(resource, []).append(obj)
        return obj

    def emit(
        self,
        event_type: str,
        obj: Obj,
        at: int,
        request: Obj | None = None,
        snapshot: Obj | None = None,
    ) -> int:
        """Records `event_type` for `obj` at `at` (moved later if the object already has an event at
        or after it) and returns the time used. `snapshot` overrides the payload (deletions)."""
        object_id = obj["id"]
        at = max(at, self._last_at.get(object_id, at - 1) + 1)
        if at > self.now:
            raise ValueError(f"{event_type} for {object_id} at {at} is after now ({self.now})")
        payload = clone(snapshot if snapshot is not None else obj)
        data: Obj = {"object": payload}
        if event_type.endswith(".updated"):
            data["previous_attributes"] = _changed(self._last_snapshot.get(object_id, {}), payload)
        self.events.append(
            {
                "id": self.ids.new("evt"),
                "object": "event",
                "account": self.account,
                "api_version": API_VERSION,
                "created": at,
                "data": data,
                "livemode": self.livemode,
                "pending_webhooks": 1,
                "request": request or {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )
        self._last_at[object_id] = at
        self._last_snapshot[object_id] = payload
        return at

    def api_request(self) -> Obj:
        """The `request` of events caused by one API call made by the merchant's backend."""
        token = self.ids.token(32)
        key = f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}".lower()
        return {"id": f"req_{self.ids.token(14)}", "idempotency_key": key}

    def delete(self, resource: str, obj: Obj, event_type: str, at: int) -> int:
        """Deletes an object: the event carries Stripe's deletion stub and, as in a Stripe list, the
        object no longer appears among the final objects."""
        stub = {"id": obj["id"], "object": obj["object"], "deleted": True}
        used = self.emit(event_type, obj, at, snapshot=stub)
        self._deleted.add(obj["id"])
        return used

    def final_objects(self, resources: tuple[str, ...]) -> dict[str, list[Obj]]:
        """Every live object, each list newest-first like a Stripe list endpoint. The live dicts
        themselves are handed over (the simulation is done with them): events hold copies, and
        objects embed copies of one another, so nothing returned is shared."""
        out: dict[str, list[Obj]] = {}
        for resource in resources:
            live = [o for o in self._resources.get(resource, []) if o["id"] not in self._deleted]
            live.sort(key=itemgetter("created", "id"), reverse=True)
            out[resource] = live
        return out

    def sorted_events(self) -> list[Obj]:
        return sorted(self.events, key=itemgetter("created", "id"))


def clone_value(value: Any) -> Any:
    if type(value) is dict:
        return clone(value)
    if type(value) is list:
        return [clone_value(item) for item in value]
    return value


def _changed(before: Obj, after: Obj) -> Obj:
    """Stripe's `previous_attributes`: the old values of the top-level fields that changed (sorted,
    so that the output does not depend on the interpreter's string hashing)."""
    return {
        key: clone_value(before.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }
