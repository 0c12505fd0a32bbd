"""Poison events: bodies Stripe could sign that are not what the ledger expects, and what each must
become — `failed` with its reason, or `applied`/`ignored` when the event is in fact fine.

Every case starts from a valid event of a kind the ledger maps (`valid_events`) and changes one
thing: a field of the wrong type, out of its column's range or length, a NUL or a lone surrogate,
a shape Stripe never sends, or a body that is not an event at all. A correctly signed body must
always be recorded and answered 2xx; these are the bodies that once made the webhook answer 5xx
(and Stripe retry for three days), plus the ones found by reading the mappers.

`sign_bytes` signs any body, including one that is not UTF-8 (the stripe SDK only signs text).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from vaultra.db.row_checks import InvalidRow, check_mapped
from vaultra.stripe import mapping
from vaultra.stripe.events import MalformedEvent, ParsedEvent, parse_event

from tests.support.stripe_payloads import SECRET, charge, event

APPLIED, IGNORED, FAILED = "applied", "ignored", "failed"
CREATED = 1_700_000_000
DEAUTHORIZED = "account.application.deauthorized"
MIB = 1 << 20


@dataclass(frozen=True)
class PoisonCase:
    name: str
    body: bytes
    outcome: str  # applied | ignored | failed
    reason: str = ""  # when failed: a substring of the refusal's message

    def __post_init__(self) -> None:
        assert self.outcome in (APPLIED, IGNORED, FAILED), self.outcome
        assert (self.outcome == FAILED) == bool(self.reason), self.name


def sign_bytes(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for any bytes: HMAC-SHA256 of `<t>.<body>`, as Stripe signs."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


# --- Valid objects of every kind the ledger maps (API version 2024-06-20 shapes) ----------------

PRICE = {
    "id": "price_poison",
    "object": "price",
    "currency": "usd",
    "product": "prod_poison",
    "unit_amount": 4900,
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
    "type": "recurring",
}


def _refund() -> dict[str, Any]:
    return {
        "id": "re_poison",
        "object": "refund",
        "amount": 1000,
        "balance_transaction": "txn_re_poison",
        "charge": "ch_poison",
        "created": CREATED,
        "currency": "usd",
        "reason": "requested_by_customer",
        "status": "succeeded",
    }


def _balance_transaction() -> dict[str, Any]:
    return {
        "id": "txn_poison",
        "object": "balance_transaction",
        "amount": 5000,
        "available_on": CREATED + 2 * 86_400,
        "created": CREATED,
        "currency": "usd",
        "exchange_rate": None,
        "fee": 175,
        "net": 4825,
        "reporting_category": "charge",
        "source": "ch_poison",
        "status": "pending",
        "type": "charge",
    }


def _charge() -> dict[str, Any]:
    return charge(
        "ch_poison",
        created=CREATED,
        amount_refunded=1000,
        metadata={"order": "1"},
        refunds={"object": "list", "data": [_refund()], "has_more": False, "total_count": 1},
    )


def _dispute() -> dict[str, Any]:
    return {
        "id": "dp_poison",
        "object": "dispute",
        "amount": 5000,
        "balance_transactions": [
            {**_balance_transaction(), "id": "txn_dp_poison", "amount": -5000}
        ],
        "charge": "ch_poison",
        "created": CREATED,
        "currency": "usd",
        "evidence_details": {"due_by": CREATED + 7 * 86_400, "has_evidence": False},
        "reason": "fraudulent",
        "status": "lost",
    }


def _line(line_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": line_id,
        "object": "line_item",
        "amount": 4900,
        "currency": "usd",
        "period": {"start": CREATED, "end": CREATED + 30 * 86_400},
        "price": copy.deepcopy(PRICE),
        "proration": False,
        "quantity": 1,
        "subscription": "sub_poison",
        "subscription_item": "si_poison",
        "type": "subscription",
        **fields,
    }


def _invoice() -> dict[str, Any]:
    legacy_plan = {
        "id": "plan_legacy",
        "object": "plan",
        "amount": 1000,
        "interval": "year",
        "interval_count": 1,
    }
    return {
        "id": "in_poison",
        "object": "invoice",
        "amount_due": 5900,
        "amount_paid": 5900,
        "billing_reason": "subscription_cycle",
        "created": CREATED,
        "currency": "usd",
        "customer": "cus_A",
        "lines": {
            "object": "list",
            "data": [_line("il_poison_1"), _line("il_poison_2", price=None, plan=legacy_plan)],
            "has_more": False,
        },
        "period_end": CREATED,
        "period_start": CREATED - 30 * 86_400,
        "status": "paid",
        "status_transitions": {"paid_at": CREATED + 60, "finalized_at": CREATED},
        "subscription": "sub_poison",
        "subtotal": 5900,
        "tax": None,
        "total": 5900,
    }


def _subscription() -> dict[str, Any]:
    coupon = {"id": "HALF", "object": "coupon", "percent_off": 50.0, "amount_off": None}
    return {
        "id": "sub_poison",
        "object": "subscription",
        "cancel_at_period_end": False,
        "canceled_at": None,
        "created": CREATED,
        "currency": "usd",
        "current_period_end": CREATED + 30 * 86_400,
        "current_period_start": CREATED,
        "customer": "cus_A",
        "discount": {
            "id": "di_poison",
            "object": "discount",
            "coupon": {**coupon, "duration": "repeating", "duration_in_months": 3},
            "start": CREATED,
            "end": CREATED + 90 * 86_400,
        },
        "discounts": ["di_poison"],
        "ended_at": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_poison",
                    "object": "subscription_item",
                    "created": CREATED,
                    "price": copy.deepcopy(PRICE),
                    "quantity": 3,
                    "subscription": "sub_poison",
                }
            ],
            "has_more": False,
        },
        "start_date": CREATED,
        "status": "active",
        "trial_end": None,
        "trial_start": None,
    }


def _customer() -> dict[str, Any]:
    return {
        "id": "cus_A",
        "object": "customer",
        "created": CREATED,
        "currency": "usd",
        "delinquent": False,
        "email": "founder@example.com",
    }


def _payout() -> dict[str, Any]:
    return {
        "id": "po_poison",
        "object": "payout",
        "amount": 4825,
        "arrival_date": CREATED + 2 * 86_400,
        "automatic": True,
        "created": CREATED,
        "currency": "usd",
        "failure_code": None,
        "method": "standard",
        "status": "paid",
    }


_OBJECTS = {
    "charge": ("charge.refunded", _charge),
    "refund": ("charge.refund.updated", _refund),
    "dispute": ("charge.dispute.closed", _dispute),
    "invoice": ("invoice.paid", _invoice),
    "subscription": ("customer.subscription.updated", _subscription),
    "customer": ("customer.updated", _customer),
    "payout": ("payout.paid", _payout),
    "balance_transaction": ("balance.available", _balance_transaction),
}


def valid_event(kind: str, event_id: str | None = None) -> dict[str, Any]:
    """A fresh valid event of a kind the ledger maps (see `KINDS`)."""
    event_type, make = _OBJECTS[kind]
    return event(
        event_type, make(), event_id=event_id or f"evt_poison_{kind}", created=CREATED + 100
    )


KINDS = tuple(_OBJECTS)


def valid_events() -> dict[str, dict[str, Any]]:
    """A fresh valid event of each kind the ledger maps, by object kind."""
    return {kind: valid_event(kind) for kind in KINDS}


def _fresh(kind: str, case_name: str) -> dict[str, Any]:
    """A valid event with an id of its own, so that every case is a new event, not a redelivery."""
    return valid_event(kind, "evt_poison_" + hashlib.sha256(case_name.encode()).hexdigest()[:24])


# --- Building the cases -------------------------------------------------------------------------

Path = tuple[str | int, ...]
REMOVE = object()


def changed(evt: Any, path: Path, value: Any) -> Any:
    """A copy of `evt` with the value at `path` replaced (or removed, for `REMOVE`)."""
    if not path:
        return value
    evt = copy.deepcopy(evt)
    parent: Any = evt
    for step in path[:-1]:
        parent = parent[step]
    if value is REMOVE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return evt


def body_of(evt: Any) -> bytes:
    # ensure_ascii writes a lone surrogate as its \\ud800 escape and NaN as the NaN literal: both
    # as a sender could.
    return json.dumps(evt).encode()


def _obj(kind: str, path: Path, value: Any, outcome: str, reason: str = "") -> PoisonCase:
    """A case changing one field of the `kind` object (path inside `data.object`)."""
    name = f"{kind}: {'.'.join(map(str, path))} = {_short(value)}"
    evt = changed(_fresh(kind, name), ("data", "object", *path), value)
    return PoisonCase(name, body_of(evt), outcome, reason)


def _env(name: str, field: str, value: Any, reason: str, kind: str = "charge") -> PoisonCase:
    """A case changing one envelope field of a valid event."""
    evt = changed(_fresh(kind, name), (field,), value)
    return PoisonCase(f"envelope: {name}", body_of(evt), FAILED, reason)


def _short(value: Any) -> str:
    if value is REMOVE:
        return "<removed>"
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:24]}… ({len(text)} chars)"


def _with_raw(kind: str, placeholder_path: Path, raw: str) -> bytes:
    """A valid event's body with `raw` text spliced in at a path (for text json.dumps won't write)."""
    marker = "__poison_raw__"
    evt = changed(_fresh(kind, raw[:100]), ("data", "object", *placeholder_path), marker)
    return body_of(evt).replace(json.dumps(marker).encode(), raw.encode("utf-8", "surrogatepass"))


DEEP = 10_000
NUL = "\x00"
SURROGATE = "\ud800"


def _envelope_and_body_cases() -> Iterator[PoisonCase]:
    valid = body_of(_fresh("charge", "body"))
    yield PoisonCase("body: empty", b"", FAILED, "not JSON")
    yield PoisonCase("body: not JSON", b"{not json", FAILED, "not JSON")
    yield PoisonCase("body: cut short", valid[: len(valid) // 2], FAILED, "not JSON")
    yield PoisonCase("body: a bare JSON string", b'"evt_1"', FAILED, "expected a JSON object")
    yield PoisonCase("body: a bare JSON number", b"42", FAILED, "expected a JSON object")
    yield PoisonCase("body: a bare JSON array", b"[1, 2]", FAILED, "expected a JSON object")
    yield PoisonCase("body: JSON null", b"null", FAILED, "expected a JSON object")
    yield PoisonCase(
        "body: non-UTF-8 bytes in a string", valid.replace(b"Jane", b"J\xe9ne"), FAILED, "not UTF-8"
    )
    yield PoisonCase(
        "body: an encoded surrogate (CESU-8)",
        valid.replace(b"Jane", b"J\xed\xa0\x80ne"),
        FAILED,
        "not UTF-8",
    )
    yield PoisonCase("body: UTF-16", valid.decode().encode("utf-16"), FAILED, "not UTF-8")
    yield PoisonCase("body: a UTF-8 byte order mark", b"\xef\xbb\xbf" + valid, FAILED, "not JSON")
    yield PoisonCase(
        "body: a raw NUL byte in a string", valid.replace(b"Jane", b"J\x00ne"), FAILED, "not JSON"
    )
    yield PoisonCase(
        f"body: JSON nested {DEEP:,} deep inside the object",
        _with_raw("charge", ("metadata",), "[" * DEEP + "]" * DEEP),
        FAILED,
        "nests 10003 levels deep",
    )
    yield PoisonCase(
        f"body: a bare array nested {DEEP:,} deep",
        b"[" * DEEP + b"]" * DEEP,
        FAILED,
        "nests 10000 levels deep",
    )
    yield PoisonCase(
        f"body: {DEEP:,} unclosed brackets", b'{"a":' + b"[" * DEEP, FAILED, "levels deep"
    )
    yield PoisonCase(
        "body: an integer of 5,000 digits",
        _with_raw("charge", ("amount",), "9" * 5000),
        FAILED,
        "not JSON",
    )
    yield PoisonCase(
        "body: the NaN literal", _with_raw("charge", ("amount",), "NaN"), FAILED, "`NaN`"
    )
    yield PoisonCase(
        "body: the -Infinity literal",
        _with_raw("charge", ("created",), "-Infinity"),
        FAILED,
        "`-Infinity`",
    )
    yield _env("object is not 'event'", "object", "evt", "`object`")
    yield _env("id missing", "id", REMOVE, "`id` is missing")
    yield _env("id a number", "id", 42, "`id` is 42 (an integer)")
    yield _env("id empty", "id", "", "`id` is empty")
    yield _env("id with NUL", "id", f"evt_{NUL}1", "`id` contains a NUL")
    yield _env(
        "id with a lone surrogate", "id", f"evt_{SURROGATE}1", "`id` contains a lone surrogate"
    )
    yield _env("id of 256 characters", "id", "evt_" + "x" * 252, "longer than the column's 255")
    yield _env("type of 256 characters", "type", "charge." + "x" * 249, "`type` is")
    yield _env("type a list", "type", ["charge.succeeded"], "`type` is a list")
    yield _env("api_version of 33 characters", "api_version", "2024-06-20" + "x" * 23, "32")
    yield _env("api_version a number", "api_version", 20240620, "`api_version`")
    yield _env("account of 256 characters", "account", "acct_" + "x" * 251, "`account`")
    yield _env("account with NUL", "account", f"acct_{NUL}", "`account` contains a NUL")
    yield _env("account an object", "account", {"id": "acct_1"}, "`account` is an object")
    yield _env("created 1e20", "created", 1e20, "`created` is 1e+20 (a number)")
    yield _env("created 'abc'", "created", "abc", "`created` is 'abc' (a string)")
    yield _env("created 10**20", "created", 10**20, "`created` is 100000000000000000000")
    yield _env("created 1.5", "created", 1.5, "`created` is 1.5")
    yield _env("created true", "created", True, "`created` is true (a boolean)")
    yield _env("created before year 1", "created", -(10**12), "years 1 to 9999")
    yield _env("livemode 'false'", "livemode", "false", "`livemode` is 'false' (a string)")
    yield _env("livemode 0", "livemode", 0, "`livemode` is 0 (an integer)")
    yield _env("data.object a list", "data", {"object": []}, "`data.object`")
    yield _env("data a string", "data", "charge", "`data.object`")


def _charge_cases() -> Iterator[PoisonCase]:
    yield _obj("charge", ("amount",), "abc", FAILED, "charge ch_poison: `amount` is 'abc'")
    yield _obj("charge", ("amount",), "1.5", FAILED, "`amount` is '1.5' (a string)")
    yield _obj(
        "charge", ("amount",), 1.5, FAILED, "`amount` is 1.5 (a number), expected an integer"
    )
    yield _obj("charge", ("amount",), 5000.0, FAILED, "`amount` is 5000.0")
    yield _obj("charge", ("amount",), float("nan"), FAILED, "`NaN`")
    yield _obj("charge", ("amount",), 2**70, FAILED, "beyond the 64-bit integer column")
    yield _obj("charge", ("amount",), 2**63 - 1, APPLIED)
    yield _obj("charge", ("amount",), True, FAILED, "`amount` is true (a boolean)")
    yield _obj("charge", ("amount",), -500, FAILED, "at least 0")
    yield _obj("charge", ("amount",), REMOVE, FAILED, "missing `amount`")
    yield _obj("charge", ("amount_refunded",), [1000], FAILED, "`amount_refunded` is a list")
    yield _obj("charge", ("id",), f"ch_{NUL}", FAILED, "charges ch_\\x00: `id` contains a NUL")
    yield _obj("charge", ("id",), f"ch_{SURROGATE}", FAILED, "`id` contains a lone surrogate")
    yield _obj("charge", ("id",), "ch_" + "x" * 300, FAILED, "longer than the column's 255")
    yield _obj("charge", ("id",), 12345, FAILED, "`id` is 12345 (an integer)")
    yield _obj("charge", ("currency",), "usdollars", FAILED, "longer than the column's 3")
    yield _obj("charge", ("currency",), "USD", APPLIED)
    yield _obj("charge", ("currency",), 840, FAILED, "`currency` is 840")
    yield _obj("charge", ("status",), "s" * 17, FAILED, "`status` is 'sssss")
    yield _obj("charge", ("status",), f"succeeded{NUL}", FAILED, "`status` contains a NUL")
    yield _obj("charge", ("failure_code",), "c" * 65, FAILED, "column's 64")
    yield _obj("charge", ("paid",), "yes", FAILED, "`paid` is 'yes' (a string), expected a boolean")
    yield _obj("charge", ("captured",), 1, FAILED, "`captured` is 1 (an integer)")
    yield _obj("charge", ("created",), "abc", FAILED, "`created` is 'abc' (a string)")
    yield _obj("charge", ("created",), 1e20, FAILED, "`created` is 1e+20")
    yield _obj("charge", ("created",), 10**20, FAILED, "expected a unix time between")
    yield _obj("charge", ("customer",), 42, FAILED, "`customer` is 42 (an integer)")
    yield _obj("charge", ("customer",), {"id": 42}, FAILED, "`customer.id` is 42")
    yield _obj("charge", ("customer",), {"id": "cus_A", "object": "customer"}, APPLIED)
    yield _obj("charge", ("customer",), ["cus_A"], FAILED, "`customer` is a list")
    yield _obj("charge", ("refunds",), [_refund()], FAILED, "`refunds` is a list of 1 item")
    yield _obj("charge", ("refunds",), "re_poison", FAILED, "`refunds` is 're_poison'")
    yield _obj(
        "charge", ("refunds", "data"), {"0": _refund()}, FAILED, "`refunds.data` is an object"
    )
    yield _obj("charge", ("refunds", "data", 0), "re_poison", FAILED, "`refunds.data[0]` is 're_")
    yield _obj(
        "charge", ("refunds", "data", 0, "amount"), "abc", FAILED, "`refunds.data[0].amount`"
    )
    yield _obj("charge", ("refunds", "data", 0, "status"), "x" * 33, FAILED, "refunds re_poison")
    yield _obj("charge", ("refunds",), None, APPLIED)
    yield _obj("charge", ("metadata",), {"note": f"a{NUL}b{SURROGATE}"}, APPLIED)
    yield _obj("charge", ("description",), "x" * MIB, APPLIED)
    yield _obj("charge", ("a_field_stripe_added_later",), {"deeply": [{"nested": 1}]}, APPLIED)
    name = "charge: ~1 MiB of whitespace between tokens"
    padded = body_of(_fresh("charge", name)).replace(b", ", b"," + b" " * 25_000)
    yield PoisonCase(name, padded, APPLIED)


def _refund_cases() -> Iterator[PoisonCase]:
    yield _obj("refund", ("amount",), "1.5", FAILED, "refund re_poison: `amount` is '1.5'")
    yield _obj("refund", ("amount",), False, FAILED, "`amount` is false (a boolean)")
    yield _obj("refund", ("status",), "x" * 33, FAILED, "longer than the column's 32")
    yield _obj("refund", ("reason",), 7, FAILED, "`reason` is 7")
    yield _obj("refund", ("charge",), {"object": "charge"}, APPLIED)  # expanded, id unknown
    yield _obj("refund", ("balance_transaction",), 3.5, FAILED, "`balance_transaction` is 3.5")


def _dispute_cases() -> Iterator[PoisonCase]:
    yield _obj("dispute", ("balance_transactions",), {"data": []}, FAILED, "expected a list")
    yield _obj("dispute", ("balance_transactions", 0), "txn_1", FAILED, "`balance_transactions[0]`")
    yield _obj(
        "dispute",
        ("balance_transactions", 0, "fee"),
        "1.5",
        FAILED,
        "`balance_transactions[0].fee`",
    )
    yield _obj(
        "dispute", ("balance_transactions", 0, "created"), None, FAILED, "missing `balance_trans"
    )
    yield _obj("dispute", ("evidence_details",), "soon", FAILED, "`evidence_details` is 'soon'")
    yield _obj(
        "dispute", ("evidence_details", "due_by"), "abc", FAILED, "`evidence_details.due_by`"
    )
    yield _obj("dispute", ("status",), ["lost"], FAILED, "`status` is a list")
    yield _obj("dispute", ("amount",), -1, FAILED, "at least 0")


def _invoice_cases() -> Iterator[PoisonCase]:
    yield _obj("invoice", ("lines", "data", 1), "il_poison_2", FAILED, "`lines.data[1]` is 'il_")
    yield _obj("invoice", ("lines",), [_line("il_1")], FAILED, "`lines` is a list")
    yield _obj("invoice", ("lines", "data"), "none", FAILED, "`lines.data` is 'none'")
    yield _obj("invoice", ("total_taxes",), 100, FAILED, "`total_taxes` is 100 (an integer)")
    yield _obj("invoice", ("total_taxes",), [{"amount": 100}, {"amount": 20}], APPLIED)
    yield _obj("invoice", ("total_taxes",), [{"amount": "100"}], FAILED, "`total_taxes[0].amount`")
    yield _obj("invoice", ("total_taxes",), [2**62, 2**62], FAILED, "`total_taxes[0]` is")
    yield _obj(
        "invoice",
        ("total_taxes",),
        [{"amount": 2**62}, {"amount": 2**62}],
        FAILED,
        "invoices in_poison: `tax`",
    )
    yield _obj("invoice", ("lines", "data", 0, "quantity"), -1, FAILED, "`lines.data[0].quantity`")
    yield _obj("invoice", ("lines", "data", 0, "quantity"), 2**70, FAILED, "invoice_lines")
    yield _obj("invoice", ("lines", "data", 0, "amount"), "4900", FAILED, "`lines.data[0].amount`")
    yield _obj("invoice", ("lines", "data", 0, "amount"), -4900, APPLIED)  # a proration credit
    yield _obj("invoice", ("lines", "data", 0, "period"), [1, 2], FAILED, "`lines.data[0].period`")
    yield _obj(
        "invoice", ("lines", "data", 0, "period", "start"), "abc", FAILED, "`lines.data[0].period"
    )
    yield _obj(
        "invoice",
        ("lines", "data", 0, "price", "unit_amount"),
        True,
        FAILED,
        "`lines.data[0].price.unit_amount` is true",
    )
    yield _obj(
        "invoice",
        ("lines", "data", 0, "price", "recurring", "interval_count"),
        2**40,
        FAILED,
        "beyond the 32-bit integer column",
    )
    yield _obj(
        "invoice",
        ("lines", "data", 0, "price", "recurring", "interval"),
        "fortnight",
        FAILED,
        "`interval` is 'fortnight'",
    )
    yield _obj("invoice", ("lines", "data", 1, "plan"), 7, FAILED, "`lines.data[1].plan` is 7")
    yield _obj("invoice", ("lines", "data", 0, "price"), "price_poison", APPLIED)  # not expanded
    yield _obj("invoice", ("status_transitions",), [], FAILED, "`status_transitions` is a list")
    yield _obj("invoice", ("amount_due",), "5900", FAILED, "`amount_due` is '5900'")
    yield _obj("invoice", ("subscription",), None, APPLIED)
    yield _obj(
        "invoice",
        ("parent",),
        {"subscription_details": {"subscription": 5}},
        APPLIED,  # `subscription` is set: `parent` is not read
    )
    yield _obj(
        "invoice",
        ("lines", "data", 0, "parent"),
        {"subscription_item_details": {"proration": "no"}},
        APPLIED,  # `proration` is set on the line: its parent's is not read
    )


def _invoice_of_a_newer_api_version() -> Iterator[PoisonCase]:
    name = "invoice: a newer API version's `parent`"
    evt = _fresh("invoice", name)
    inv = evt["data"]["object"]
    inv["parent"] = {"subscription_details": {"subscription": "sub_poison"}}
    del inv["subscription"]
    yield PoisonCase(name, body_of(evt), APPLIED)
    name = "invoice: parent.subscription_details.subscription a list"
    evt = changed(evt, ("id",), _fresh("invoice", name)["id"])
    evt["data"]["object"]["parent"]["subscription_details"]["subscription"] = ["sub_poison"]
    yield PoisonCase(
        name, body_of(evt), FAILED, "`parent.subscription_details.subscription` is a list"
    )


def _subscription_cases() -> Iterator[PoisonCase]:
    yield _obj("subscription", ("items", "data", 0), "si_poison", FAILED, "`items.data[0]` is 'si_")
    yield _obj("subscription", ("items",), [], FAILED, "`items` is a list of 0 items")
    yield _obj("subscription", ("items", "data", 0, "quantity"), -3, FAILED, "at least 0")
    yield _obj("subscription", ("items", "data", 0, "quantity"), 2**70, FAILED, "beyond the 64-bit")
    yield _obj("subscription", ("items", "data", 0, "quantity"), "2", FAILED, "`items.data[0].q")
    yield _obj("subscription", ("items", "data", 0, "quantity"), 2.0, FAILED, "is 2.0 (a number)")
    yield _obj("subscription", ("items", "data", 0, "price", "id"), f"price_{NUL}", FAILED, "NUL")
    yield _obj(
        "subscription",
        ("items", "data", 0, "price", "product"),
        {"id": f"prod_{SURROGATE}"},
        FAILED,
        "`product_id` contains a lone surrogate",
    )
    yield _obj("subscription", ("discount",), 50, FAILED, "`discount` is 50")
    yield _obj(
        "subscription", ("discount", "coupon", "percent_off"), "50", FAILED, "`discount.coupon.p"
    )
    yield _obj(
        "subscription", ("discount", "coupon", "percent_off"), 150.0, FAILED, "from 0 to 100"
    )
    yield _obj("subscription", ("discount", "coupon"), "HALF", APPLIED)  # an id: not readable
    yield _obj(
        "subscription",
        ("discount", "coupon", "id"),
        f"HALF{NUL}",
        FAILED,
        "`discount` at `coupon_id` contains a NUL",
    )
    yield _obj(
        "subscription", ("discount", "coupon", "amount_off"), 2**70, FAILED, "at `amount_off`"
    )
    yield _obj("subscription", ("discounts",), "di_poison", FAILED, "`discounts` is 'di_poison'")
    yield _obj("subscription", ("cancel_at_period_end",), "false", FAILED, "expected a boolean")
    yield _obj("subscription", ("customer",), REMOVE, FAILED, "missing `customer`")
    yield _obj(
        "subscription", ("customer",), {"object": "customer"}, FAILED, "missing `customer.id`"
    )
    yield _obj("subscription", ("status",), "s" * 33, FAILED, "longer than the column's 32")
    yield _obj("subscription", ("trial_end",), 1e20, FAILED, "`trial_end` is 1e+20")
    yield _obj("subscription", ("ended_at",), -(10**13), FAILED, "`ended_at` is")
    yield _obj("subscription", ("items", "data", 0, "price"), "price_poison", APPLIED)


def _other_kind_cases() -> Iterator[PoisonCase]:
    yield _obj("customer", ("delinquent",), "no", FAILED, "customer cus_A: `delinquent` is 'no'")
    yield _obj("customer", ("currency",), "usdx", FAILED, "longer than the column's 3")
    yield _obj("customer", ("id",), ["cus_A"], FAILED, "`id` is a list")
    yield _obj("customer", ("deleted",), "yes", FAILED, "`deleted` is 'yes'")
    name = "customer: deleted (only id, object, deleted)"
    stub = {"id": "cus_A", "object": "customer", "deleted": True}
    yield PoisonCase(
        name, body_of(changed(_fresh("customer", name), ("data", "object"), stub)), APPLIED
    )
    yield _obj("payout", ("arrival_date",), "tomorrow", FAILED, "`arrival_date` is 'tomorrow'")
    yield _obj("payout", ("automatic",), "true", FAILED, "`automatic` is 'true'")
    yield _obj("payout", ("method",), "m" * 17, FAILED, "longer than the column's 16")
    yield _obj("payout", ("amount",), 1.5, FAILED, "payout po_poison: `amount` is 1.5")
    yield _obj("payout", ("amount",), -4825, APPLIED)  # a payout's sign is Stripe's to give
    yield _obj("balance_transaction", ("exchange_rate",), "1.1", FAILED, "`exchange_rate` is '1.1'")
    yield _obj("balance_transaction", ("exchange_rate",), 1.0123456789, APPLIED)
    yield _obj("balance_transaction", ("exchange_rate",), 1e13, FAILED, "numeric(24, 12)")
    yield PoisonCase(
        "balance_transaction: exchange_rate 1e400 (infinite as a float)",
        _with_raw("balance_transaction", ("exchange_rate",), "1e400"),
        FAILED,
        "`exchange_rate` is inf",
    )
    yield _obj("balance_transaction", ("net",), True, FAILED, "`net` is true")
    yield _obj("balance_transaction", ("type",), REMOVE, FAILED, "missing `type`")
    yield _obj("balance_transaction", ("source",), 9, FAILED, "`source` is 9")
    yield _obj("balance_transaction", ("available_on",), 2**70, FAILED, "`available_on`")


def _object_case(name: str, obj: dict[str, Any], outcome: str, reason: str = "") -> PoisonCase:
    evt = changed(_fresh("charge", name), ("data", "object"), obj)
    return PoisonCase(name, body_of(evt), outcome, reason)


def _unmapped_cases() -> Iterator[PoisonCase]:
    yield _object_case(
        "a product (not kept) with NUL and a lone surrogate",
        {"id": f"prod_{NUL}{SURROGATE}", "object": "product", "name": "x" * 1000},
        IGNORED,
    )
    yield _object_case(
        "an object kind with NUL, a lone surrogate and 500 characters",
        {"id": "x_1", "object": f"{NUL}{SURROGATE}" + "k" * 500},
        IGNORED,
    )
    yield _object_case(
        "an object kind that is a list",
        {"id": "ch_1", "object": ["charge"]},
        FAILED,
        "`object` is a list of 1 item, expected a string",
    )
    yield _object_case("an object without a kind", {"id": "x_1"}, FAILED, "missing `object`")


def cases() -> list[PoisonCase]:
    """Every case, valid events first (each must be applied)."""
    valid = [PoisonCase(f"{kind}: valid", body_of(valid_event(kind)), APPLIED) for kind in KINDS]
    return [
        *valid,
        *_envelope_and_body_cases(),
        *_charge_cases(),
        *_refund_cases(),
        *_dispute_cases(),
        *_invoice_cases(),
        *_invoice_of_a_newer_api_version(),
        *_subscription_cases(),
        *_other_kind_cases(),
        *_unmapped_cases(),
    ]


@dataclass(frozen=True)
class Verdict:
    outcome: str
    message: str = ""
    event: ParsedEvent | None = None
    rows: mapping.Rows | None = None


def validate(body: bytes | str) -> Verdict:
    """What the validation layer makes of a body: parse, normalize, check the rows against the
    schema. Only the three domain errors are expected; anything else propagates (a bug)."""
    try:
        evt = parse_event(body)
    except MalformedEvent as exc:
        return Verdict(FAILED, str(exc))
    if evt.type == DEAUTHORIZED:
        return Verdict(APPLIED, event=evt)
    try:
        rows = mapping.normalize(evt.object, observed_at=evt.created, source="event")
        check_mapped(rows)
    except mapping.UnsupportedObject as exc:
        return Verdict(IGNORED, str(exc), evt)
    except (mapping.MalformedObject, InvalidRow) as exc:
        return Verdict(FAILED, str(exc), evt)
    return Verdict(APPLIED, event=evt, rows=rows)


def pairs() -> list[tuple[str, bytes]]:
    """The corpus as (name, body) pairs."""
    return [(c.name, c.body) for c in cases()]


# --- Arbitrary poison, for Hypothesis -----------------------------------------------------------

# Text as a sender could write it: any code point, NUL and lone surrogates included.
ANY_TEXT = st.text(st.characters(exclude_categories=[]), max_size=8) | st.sampled_from(
    ["", NUL, SURROGATE, "x" * 300, "1.5", "abc", "usd", "canceled", "won", "month"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, 2**63, -(2**63) - 1, 2**70, 10**20, -1, 0, 253_402_300_800])
    | st.floats()
    | ANY_TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path into a JSON value, the value itself (`()`) first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def _one_value_changed(draw: st.DrawFn, value: Any) -> Any:
    path = draw(st.sampled_from(list(paths(value))))
    replacement = draw(JSON_VALUES | st.just(REMOVE)) if path else draw(JSON_VALUES)
    return changed(value, path, replacement)


def poisoned_events() -> st.SearchStrategy[Any]:
    """A valid event with one value anywhere (the envelope included) replaced or removed."""
    return st.sampled_from(KINDS).map(valid_event).flatmap(_one_value_changed)


def poisoned_objects() -> st.SearchStrategy[Any]:
    """A valid object of a kind the ledger maps with one value replaced or removed."""
    objects = st.sampled_from(KINDS).map(lambda kind: valid_event(kind)["data"]["object"])
    return objects.flatmap(_one_value_changed)
