"""A loopback HTTP server that speaks the read side of Stripe's v1 API.

It serves fixed, Stripe-shaped account histories (plain dicts, e.g. from the demo generator)
to the official `stripe` SDK, so that backfill code can be tested end to end and the local demo
can run without network access:

    with StripeApiServer() as server:
        server.add_account("acct_demo", {"customers": [...], "charges": [...]}, events=[...])
        client = stripe.StripeClient(
            server.api_key, base_addresses={"api": server.base_url}, max_network_retries=2
        )
        for charge in client.v1.charges.list({"limit": 100}).auto_paging_iter(): ...

What it reproduces from the real API (the parts a backfill depends on):

* `Authorization: Bearer <key>` (or HTTP Basic with the key as user name); otherwise 401.
* `Stripe-Account` selects the connected account; without it the only account is used.
  An unknown account is a 403 (`stripe.PermissionError`).
* List endpoints return `{"object": "list", "url", "has_more", "data"}` newest first (ties by
  id, descending) with `limit` (1..100, default 10), `starting_after`, `ending_before`,
  `created` (`created=<ts>` or `created[gt|gte|lt|lte]`) and the usual filters; unknown
  parameters are a 400 "Received unknown parameter", as on Stripe. `expand` is accepted and
  ignored.
* List subscriptions leaves out canceled subscriptions unless `status` says otherwise
  (`all`, `ended`, or one status).
* Invoices carry at most 10 `lines` inline (with `has_more`); `/v1/invoices/{id}/lines` pages
  through all of them.
* `/v1/events` only lists (and retrieves) events of the last 30 days.
* Errors use Stripe's JSON error shape and status codes, so the SDK raises its usual
  exception classes. Every response has `Request-Id` and `Content-Type: application/json`.
* Optional rate limiting (token bucket per account): 429 with `code: rate_limit`, like
  Stripe's real rate limits *without* `Stripe-Should-Retry: true`, so the SDK does not retry
  it on its own (Stripe's libraries only retry lock-timeout 429s). A `Retry-After` hint (in
  whole seconds) and `Stripe-Rate-Limited-Reason` are sent for callers that back off
  themselves.
* Optional injected failures (`fail_every`): every Nth request answers `fail_status`
  (default 500 `api_error`); the SDK retries 409 and 5xx when `max_network_retries` > 0.

Connect, as far as onboarding needs it (on the same server: point the SDK's `connect` base address
at `base_url` too):

* `GET /oauth/authorize?response_type=code&client_id&scope&state&redirect_uri` is the page a
  founder approves on: it answers 302 to `redirect_uri` with `code` and `state` when `oauth_user`
  (the Stripe account signed in "in the browser") is set, or with `error=access_denied` when it
  is None, as Stripe does when the founder declines.
* `POST /oauth/token` (the platform's secret key; `grant_type=authorization_code&code`) answers
  Stripe's shape — `access_token`, `livemode`, `refresh_token`, `scope`, `stripe_publishable_key`,
  `stripe_user_id`, `token_type` — or an OAuth error (`{"error": "invalid_grant",
  "error_description"}`, which the SDK raises as `stripe.oauth_error.InvalidGrantError`). A code
  is single-use and expires after 5 minutes; reusing one revokes the token it gave.
* `POST /oauth/deauthorize` (`client_id`, `stripe_user_id`) revokes the account's tokens.
* Keys other than the platform's belong to one account: an OAuth access token, or a restricted key
  made with `add_restricted_key()`. Such a key reads its own account without a `Stripe-Account`
  header, and no other account.

Besides OAuth, the server is read-only: anything but GET under /v1 is answered with 405.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import fnmatch
import json
import math
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from vaultra.sample_data.generator import RESOURCES as GENERATED_RESOURCES

__all__ = ["EVENT_RETENTION_S", "OAUTH_CODE_TTL_S", "RESOURCES", "StripeApiServer"]

# Stripe keeps events for 30 days; older ones are neither listed nor retrievable.
EVENT_RETENTION_S = 30 * 86_400
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
# How many invoice line items an invoice carries inline before `lines.has_more` is true.
INLINE_INVOICE_LINES = 10
MAX_EVENT_TYPES = 20
# How long an OAuth authorization code can be exchanged (Stripe: five minutes, once).
OAUTH_CODE_TTL_S = 300
OAUTH_SCOPES = frozenset({"read_only", "read_write"})

# The list endpoints a backfill reads (the generator's resources); others passed to
# add_account() are served too.
RESOURCES = GENERATED_RESOURCES

_OBJECT_NAMES = {
    "balance_transactions": "balance_transaction",
    "credit_notes": "credit_note",
    "invoiceitems": "invoiceitem",
    "payment_intents": "payment_intent",
    "events": "event",
}

_SUBSCRIPTION_STATUSES = frozenset(
    {
        "active",
        "all",
        "canceled",
        "ended",
        "incomplete",
        "incomplete_expired",
        "past_due",
        "paused",
        "trialing",
        "unpaid",
    }
)

_RESOURCE_NAME = re.compile(r"^[a-z][a-z_]*$")
_BRACKETED = re.compile(r"^([A-Za-z_]+)\[([^\[\]]*)\]$")
_RANGE_OPS = ("gt", "gte", "lt", "lte")
_ALPHANUM = string.ascii_letters + string.digits

Matcher = Callable[[dict[str, Any], Any], bool]


# --------------------------------------------------------------------------------------------
# Errors


class _ApiError(Exception):
    """An error answered in Stripe's JSON shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def _unknown_parameter(name: str) -> _ApiError:
    return _ApiError(
        400,
        f"Received unknown parameter: {name}",
        code="parameter_unknown",
        param=name,
    )


def _no_such(object_name: str, id_: str, *, param: str = "id", status: int = 404) -> _ApiError:
    return _ApiError(
        status,
        f"No such {object_name}: '{id_}'",
        code="resource_missing",
        param=param,
    )


def _unrecognized_url(method: str, path: str) -> _ApiError:
    return _ApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def _secret_string(kind: str, livemode: bool) -> str:
    """A key-shaped random string: `rk_test_…`, `sk_live_…`, `pk_test_…`, `rt_test_…`."""
    random_part = "".join(secrets.choice(_ALPHANUM) for _ in range(24))
    return f"{kind}_{'live' if livemode else 'test'}_{random_part}"


def _no_access(account_id: str) -> _ApiError:
    return _ApiError(
        403,
        "The provided key does not have access to account "
        f"'{account_id}' (or that account does not exist). Application access may "
        "have been revoked.",
        code="account_invalid",
    )


class _OAuthError(_ApiError):
    """An error of Connect's OAuth endpoints: `{"error": code, "error_description": …}`."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(status, description, code=code)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.message}


@dataclass
class _Grant:
    """An authorization code: who approved, what scope, when; and the token it gave, if any."""

    account: str
    scope: str
    issued_at: float
    token: str | None = None


# --------------------------------------------------------------------------------------------
# Query parameters


def _parse_params(query: str) -> dict[str, Any]:
    """Decode Stripe's form encoding: `a=1`, `a[b]=1` (dict), `a[]=1` / `a[0]=1` (list).

    `expand` in any form is dropped: expansion is accepted and ignored.
    """
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "expand" or key.startswith("expand["):
            continue
        match = _BRACKETED.match(key)
        if match is None:
            if "[" in key or "]" in key:
                raise _unknown_parameter(key)
            if isinstance(params.get(key), dict | list):
                raise _ApiError(400, f"Invalid {key}: mixed scalar and nested values", param=key)
            params[key] = value
            continue
        name, sub = match.groups()
        if sub == "" or sub.isdigit():
            current = params.setdefault(name, [])
            if not isinstance(current, list):
                raise _ApiError(400, f"Invalid array: {name}", param=name)
            current.append(value)
        else:
            current = params.setdefault(name, {})
            if not isinstance(current, dict):
                raise _ApiError(400, f"Invalid hash: {name}", param=name)
            current[sub] = value
    return params


def _parse_int(value: Any, param: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise _ApiError(400, f"Invalid integer: {value}", param=param)


def _parse_bool(value: Any, param: str) -> bool:
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise _ApiError(400, f"Invalid boolean: {value}", param=param)


def _parse_limit(params: Mapping[str, Any]) -> int:
    if "limit" not in params:
        return DEFAULT_LIMIT
    limit = _parse_int(params["limit"], "limit")
    if limit < 1:
        raise _ApiError(400, "This value must be greater than or equal to 1.", param="limit")
    if limit > MAX_LIMIT:
        raise _ApiError(
            400, f"This value must be less than or equal to {MAX_LIMIT}.", param="limit"
        )
    return limit


def _range_bounds(name: str, value: Any) -> list[tuple[str, int]]:
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>` as bounds (an exact value is both ends)."""
    if isinstance(value, str):
        exact = _parse_int(value, name)
        return [("gte", exact), ("lte", exact)]
    if not isinstance(value, dict) or not value:
        raise _ApiError(400, f"Invalid {name}: expected an integer or a range", param=name)
    bounds: list[tuple[str, int]] = []
    for op, raw in value.items():
        if op not in _RANGE_OPS:
            raise _unknown_parameter(f"{name}[{op}]")
        bounds.append((op, _parse_int(raw, f"{name}[{op}]")))
    return bounds


def _range_matcher(name: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    """The bounds of `_range_bounds` as a predicate on obj[name]."""
    bounds = _range_bounds(name, value)

    def matches(obj: dict[str, Any]) -> bool:
        ts = _as_int(obj.get(name))
        if ts is None:
            return False
        for op, bound in bounds:
            if (
                (op == "gt" and not ts > bound)
                or (op == "gte" and not ts >= bound)
                or (op == "lt" and not ts < bound)
                or (op == "lte" and not ts <= bound)
            ):
                return False
        return True

    return matches


# --------------------------------------------------------------------------------------------
# Object helpers and per-resource filters


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None


def _ref(value: Any) -> Any:
    """An id, whether the field holds the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _equals(field_name: str) -> Matcher:
    return lambda obj, value: _ref(obj.get(field_name)) == value


def _bool_equals(field_name: str) -> Matcher:
    return lambda obj, value: bool(obj.get(field_name)) == _parse_bool(value, field_name)


def _invoice_subscription(obj: dict[str, Any], value: Any) -> bool:
    # Before API version 2025-03-31 `invoice.subscription`; since, under `parent`.
    direct = _ref(obj.get("subscription"))
    if direct is not None:
        return bool(direct == value)
    parent = obj.get("parent")
    if isinstance(parent, dict):
        details = parent.get("subscription_details")
        if isinstance(details, dict):
            return bool(_ref(details.get("subscription")) == value)
    return False


def _subscription_price(obj: dict[str, Any], value: Any) -> bool:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, dict) else items
    if not isinstance(data, list):
        return False
    for item in data:
        if isinstance(item, dict):
            price = item.get("price") or item.get("plan")
            if _ref(price) == value:
                return True
    return False


def _subscription_status(obj: dict[str, Any], value: Any) -> bool:
    if value not in _SUBSCRIPTION_STATUSES:
        raise _ApiError(
            400,
            f"Invalid status: must be one of {', '.join(sorted(_SUBSCRIPTION_STATUSES))}",
            param="status",
        )
    status = obj.get("status")
    if value == "all":
        return True
    if value == "ended":
        return status in ("canceled", "incomplete_expired")
    return bool(status == value)


# Filters Stripe's list endpoints take (besides limit, cursors, created and expand).
_FILTERS: dict[str, dict[str, Matcher]] = {
    "customers": {"email": _equals("email"), "test_clock": _equals("test_clock")},
    "products": {"active": _bool_equals("active"), "shippable": _bool_equals("shippable")},
    "prices": {
        "active": _bool_equals("active"),
        "currency": _equals("currency"),
        "product": _equals("product"),
        "type": _equals("type"),
    },
    "coupons": {},
    "subscriptions": {
        "customer": _equals("customer"),
        "price": _subscription_price,
        "status": _subscription_status,
        "collection_method": _equals("collection_method"),
        "test_clock": _equals("test_clock"),
    },
    "invoices": {
        "customer": _equals("customer"),
        "subscription": _invoice_subscription,
        "status": _equals("status"),
        "collection_method": _equals("collection_method"),
    },
    "charges": {
        "customer": _equals("customer"),
        "payment_intent": _equals("payment_intent"),
        "transfer_group": _equals("transfer_group"),
    },
    "refunds": {"charge": _equals("charge"), "payment_intent": _equals("payment_intent")},
    "disputes": {"charge": _equals("charge"), "payment_intent": _equals("payment_intent")},
    "payouts": {"status": _equals("status"), "destination": _equals("destination")},
    "balance_transactions": {
        "type": _equals("type"),
        "source": _equals("source"),
        "currency": _equals("currency"),
    },
    "plans": {"active": _bool_equals("active"), "product": _equals("product")},
    "invoiceitems": {"customer": _equals("customer"), "invoice": _equals("invoice")},
    "credit_notes": {"customer": _equals("customer"), "invoice": _equals("invoice")},
    "payment_intents": {"customer": _equals("customer")},
}

# Timestamp fields that take `x=<ts>` / `x[gte]=<ts>` ranges, besides `created`.
_RANGE_FIELDS: dict[str, tuple[str, ...]] = {"payouts": ("arrival_date",)}


def _bound(matcher: Matcher, value: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda obj: matcher(obj, value)


def _object_name(resource: str) -> str:
    return _OBJECT_NAMES.get(resource, resource[:-1] if resource.endswith("s") else resource)


# --------------------------------------------------------------------------------------------
# Account data


@dataclass
class _Account:
    id: str
    created: int
    now: int | None
    livemode: bool
    currency: str
    # resource -> objects newest first, and id -> position in that order (the cursor rank)
    lists: dict[str, list[dict[str, Any]]]
    ranks: dict[str, dict[str, int]]
    # invoice id -> all its line items, in invoice order
    lines: dict[str, list[dict[str, Any]]]
    # resource -> −created of each object in list order (ascending): a `created` range is found
    # by bisection instead of testing every object at every request (built on first use)
    created_keys: dict[str, list[int]] = field(default_factory=dict)

    def created_slice(self, resource: str, value: Any) -> tuple[int, int]:
        """The positions [lo, hi) of `resource`'s list that a valid `created` filter can match;
        the filter itself is still applied to them."""
        items = self.lists.get(resource, [])
        keys = self.created_keys.get(resource)
        if keys is None:
            keys = self.created_keys[resource] = [-(_as_int(o.get("created")) or 0) for o in items]
        lo, hi = 0, len(items)
        if value is None:
            return lo, hi
        for op, bound in _range_bounds("created", value):
            key = -bound
            if op == "gte":  # created ≥ b: −created ≤ −b
                hi = min(hi, bisect.bisect_right(keys, key))
            elif op == "gt":
                hi = min(hi, bisect.bisect_left(keys, key))
            elif op == "lte":
                lo = max(lo, bisect.bisect_left(keys, key))
            elif op == "lt":
                lo = max(lo, bisect.bisect_right(keys, key))
        return lo, hi

    def as_account_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "account",
            "business_profile": {"mcc": None, "name": None, "url": None},
            "business_type": "company",
            "capabilities": {"card_payments": "active", "transfers": "active"},
            "charges_enabled": True,
            "country": "US",
            "created": self.created,
            "default_currency": self.currency,
            "details_submitted": True,
            "email": None,
            "metadata": {},
            "payouts_enabled": True,
            "settings": {"dashboard": {"display_name": self.id, "timezone": "Etc/UTC"}},
            "type": "standard",
        }


@dataclass
class _Bucket:
    tokens: float
    last: float


def _newest_first(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda o: (_as_int(o.get("created")) or 0, o["id"]), reverse=True)


def _require_ids(items: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of objects, got {type(items).__name__}")
    seen: set[str] = set()
    for obj in items:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
            raise ValueError(f"{where}: every object needs a string `id`")
        if obj["id"] in seen:
            raise ValueError(f"{where}: duplicate id {obj['id']!r}")
        seen.add(obj["id"])
    return items


def _guess_currency(objects: Mapping[str, list[dict[str, Any]]]) -> str:
    for resource in ("charges", "prices", "invoices", "balance_transactions", "payouts"):
        for obj in objects.get(resource, []):
            currency = obj.get("currency")
            if isinstance(currency, str) and currency:
                return currency
    return "usd"


# --------------------------------------------------------------------------------------------
# The server


class StripeApiServer:
    """Stripe's read API on 127.0.0.1, in a background thread. See the module docstring."""

    def __init__(
        self,
        *,
        api_key: str = "sk_test_vaultra",
        client_id: str = "ca_vaultra_loopback",
        rate_limit_per_s: float | None = None,
        fail_every: int | None = None,
        fail_status: int = 500,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rate_limit_per_s is not None and rate_limit_per_s <= 0:
            raise ValueError("rate_limit_per_s must be positive")
        if fail_every is not None and fail_every < 1:
            raise ValueError("fail_every must be >= 1")
        self.api_key = api_key
        self.client_id = client_id
        # The Stripe account that approves at /oauth/authorize; None: the founder declines.
        self.oauth_user: str | None = None
        self.rate_limit_per_s = rate_limit_per_s
        self.fail_every = fail_every
        self.fail_status = fail_status
        self._clock = clock
        self.rate_limited = 0
        self.failures = 0
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}
        self._buckets: dict[str, _Bucket] = {}
        # Keys that belong to one account (OAuth access tokens, restricted keys) -> account id
        self._account_keys: dict[str, str] = {}
        self._grants: dict[str, _Grant] = {}
        self._requests: list[tuple[str, str, str | None]] = []
        self._received = 0
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # ---- data -----------------------------------------------------------------------------

    def add_account(
        self,
        account: str,
        objects: Mapping[str, list[dict[str, Any]]],
        events: list[dict[str, Any]] | None = None,
        *,
        created: int | None = None,
        now: int | None = None,
        livemode: bool = False,
        currency: str | None = None,
    ) -> None:
        """Serve `objects` (resource name -> Stripe objects) and `events` for `account`.

        Objects are copied; the caller's dicts are never changed nor served live. Adding an
        account again replaces its data. `now` fixes the account's clock for the 30-day event
        window (default: the server's clock at request time). `created` is the Account's
        creation time (default: a day before its earliest object).
        """
        if not isinstance(account, str) or not account:
            raise ValueError("account must be a non-empty string")
        if "events" in objects:
            raise ValueError("pass events with events=, not as objects['events']")
        lists: dict[str, list[dict[str, Any]]] = {}
        lines: dict[str, list[dict[str, Any]]] = {}
        earliest: int | None = None
        for resource, items in objects.items():
            if not _RESOURCE_NAME.match(resource):
                raise ValueError(f"not a resource name: {resource!r}")
            copied = copy.deepcopy(_require_ids(items, resource))
            for obj in copied:
                obj.setdefault("livemode", livemode)
                ts = _as_int(obj.get("created"))
                if ts is not None and (earliest is None or ts < earliest):
                    earliest = ts
            if resource == "invoices":
                copied = [self._split_invoice_lines(inv, lines) for inv in copied]
            lists[resource] = _newest_first(copied)
        event_copies = copy.deepcopy(_require_ids(list(events or []), "events"))
        for event in event_copies:
            event.setdefault("livemode", livemode)
        lists["events"] = _newest_first(event_copies)
        ranks = {res: {obj["id"]: i for i, obj in enumerate(items)} for res, items in lists.items()}
        if created is None:
            if earliest is not None:
                created = earliest - 86_400
            else:
                created = (now if now is not None else int(self._clock())) - 86_400
        data = _Account(
            id=account,
            created=created,
            now=now,
            livemode=livemode,
            currency=currency or _guess_currency(objects),
            lists=lists,
            ranks=ranks,
            lines=lines,
        )
        with self._lock:
            self._accounts[account] = data

    def add_history(self, history: Any) -> None:
        """Add a generator history (anything with account, objects, events, now, livemode,
        currency attributes)."""
        self.add_account(
            history.account,
            history.objects,
            getattr(history, "events", None),
            now=getattr(history, "now", None),
            livemode=bool(getattr(history, "livemode", False)),
            currency=getattr(history, "currency", None),
        )

    def add_restricted_key(self, account: str) -> str:
        """A new restricted key (`rk_test_…`, or `rk_live_…` for a live account) that reads
        `account`, and only it."""
        with self._lock:
            data = self._accounts.get(account)
        if data is None:
            raise ValueError(f"add the account {account!r} first")
        return self._new_account_key(account, "rk", data.livemode)

    def _new_account_key(self, account: str, kind: str, livemode: bool) -> str:
        key = _secret_string(kind, livemode)
        with self._lock:
            self._account_keys[key] = account
        return key

    @staticmethod
    def _split_invoice_lines(
        invoice: dict[str, Any], lines: dict[str, list[dict[str, Any]]]
    ) -> dict[str, Any]:
        raw = invoice.get("lines")
        if raw is None:
            return invoice
        items = raw.get("data", []) if isinstance(raw, dict) else raw
        all_lines = _require_ids(list(items), f"invoice {invoice['id']} lines")
        lines[invoice["id"]] = all_lines
        inline = dict(raw) if isinstance(raw, dict) else {}
        inline.update(
            {
                "object": "list",
                "data": all_lines[:INLINE_INVOICE_LINES],
                "has_more": len(all_lines) > INLINE_INVOICE_LINES,
                "total_count": len(all_lines),
                "url": f"/v1/invoices/{invoice['id']}/lines",
            }
        )
        return {**invoice, "lines": inline}

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> StripeApiServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        httpd.api = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-api-server",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> StripeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        """(method, path with query, Stripe-Account header) of every request, in order.

        The path is percent-decoded, so filters read as sent: `created[gte]=...`.
        """
        with self._lock:
            return list(self._requests)

    # ---- request handling -----------------------------------------------------------------

    def _log(self, method: str, path: str, account: str | None) -> None:
        with self._lock:
            self._requests.append((method, path, account))

    def _dispatch(
        self,
        method: str,
        raw_path: str,
        authorization: str | None,
        stripe_account: str | None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        self._maybe_fail()
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        if path.startswith("/oauth/"):
            return self._oauth(method, path, split.query, authorization, body)
        key_account = self._authenticate(authorization)
        segments = [unquote(s) for s in path.split("/")[1:]]
        if len(segments) < 2 or segments[0] != "v1":
            raise _unrecognized_url(method, path)
        if method != "GET":
            raise _ApiError(
                405,
                f"This loopback Stripe server is read-only; {method} {path} is not supported.",
            )
        params = _parse_params(split.query)
        rest = segments[1:]

        if rest[0] == "accounts" and len(rest) == 2:
            if key_account is not None and rest[1] != key_account:
                raise _no_access(rest[1])
            account = self._account_by_id(rest[1])
            self._take_token(account.id)
            self._only(params, set())
            return 200, account.as_account_object(), {}

        if key_account is not None:
            if stripe_account and stripe_account != key_account:
                raise _no_access(stripe_account)
            account = self._account_by_id(key_account)
        else:
            account = self._account_for(stripe_account)
        self._take_token(account.id)

        if rest == ["account"]:
            self._only(params, set())
            return 200, account.as_account_object(), {}
        if rest[:2] == ["balance", "history"]:
            rest = ["balance_transactions", *rest[2:]]
            url = "/v1/balance/history"
        else:
            url = f"/v1/{rest[0]}"
        resource = rest[0]
        if not _RESOURCE_NAME.match(resource) or (
            resource not in RESOURCES and resource != "events" and resource not in account.lists
        ):
            raise _unrecognized_url(method, path)

        if len(rest) == 1:
            if resource == "events":
                return 200, self._list_events(account, params), {}
            return 200, self._list_objects(account, resource, url, params), {}
        if len(rest) == 2:
            return 200, self._retrieve(account, resource, rest[1], params), {}
        if len(rest) == 3 and resource == "invoices" and rest[2] == "lines":
            return 200, self._list_lines(account, rest[1], params), {}
        raise _unrecognized_url(method, path)

    def _maybe_fail(self) -> None:
        with self._lock:
            self._received += 1
            fail = self.fail_every is not None and self._received % self.fail_every == 0
            if fail:
                self.failures += 1
        if not fail:
            return
        status = self.fail_status
        if status == 429:
            raise _ApiError(
                429,
                "Too many requests hit the API too quickly (injected failure).",
                code="rate_limit",
            )
        if status >= 500:
            raise _ApiError(
                status,
                "An unknown error occurred (injected failure).",
                type="api_error",
            )
        raise _ApiError(status, "Injected failure.")

    def _authenticate(self, header: str | None) -> str | None:
        """None for the platform's key; the account of a key that belongs to one."""
        key: str | None = None
        if header:
            scheme, _, credential = header.partition(" ")
            credential = credential.strip()
            if scheme.lower() == "bearer":
                key = credential
            elif scheme.lower() == "basic":
                try:
                    key = base64.b64decode(credential).decode().partition(":")[0]
                except (binascii.Error, UnicodeDecodeError):
                    key = None
        if not key:
            raise _ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                headers={"WWW-Authenticate": 'Bearer realm="Stripe"'},
            )
        if secrets.compare_digest(key.encode(), self.api_key.encode()):
            return None
        with self._lock:
            account = self._account_keys.get(key)
        if account is None:
            raise _ApiError(
                401,
                f"Invalid API Key provided: {key[:8]}{'*' * 8}{key[-4:]}",
                headers={"WWW-Authenticate": 'Bearer realm="Stripe"'},
            )
        return account

    def _account_for(self, header: str | None) -> _Account:
        with self._lock:
            accounts = dict(self._accounts)
        if header:
            account = accounts.get(header)
            if account is None:
                raise _no_access(header)
            return account
        if len(accounts) == 1:
            return next(iter(accounts.values()))
        raise _ApiError(
            400,
            f"This test server holds {len(accounts)} accounts; send a Stripe-Account header "
            "to choose one.",
        )

    def _account_by_id(self, account_id: str) -> _Account:
        with self._lock:
            account = self._accounts.get(account_id)
        if account is None:
            raise _no_access(account_id)
        return account

    # ---- Connect OAuth --------------------------------------------------------------------

    def _oauth(
        self, method: str, path: str, query: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path == "/oauth/authorize" and method == "GET":
            return self._authorize(dict(parse_qsl(query, keep_blank_values=True)))
        if path in ("/oauth/token", "/oauth/deauthorize") and method == "POST":
            if self._authenticate(authorization) is not None:
                raise _OAuthError("invalid_client", "Use your platform's secret key.", 401)
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if path == "/oauth/token":
                return 200, self._token(form), {}
            return 200, self._deauthorize(form), {}
        raise _unrecognized_url(method, path)

    def _authorize(self, params: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if params.get("client_id") != self.client_id:
            raise _OAuthError("invalid_client", f"No such application: '{params.get('client_id')}'")
        if params.get("response_type") != "code":
            raise _OAuthError("unsupported_response_type", "Only `code` is supported.")
        scope = params.get("scope") or "read_only"
        if scope not in OAUTH_SCOPES:
            raise _OAuthError("invalid_scope", f"Invalid scope: {scope}")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise _OAuthError("invalid_request", "No redirect_uri provided.")
        answer: dict[str, str] = {}
        if self.oauth_user is None:
            answer = {"error": "access_denied", "error_description": "The user denied your request"}
        else:
            code = "ac_" + "".join(secrets.choice(_ALPHANUM) for _ in range(32))
            with self._lock:
                self._grants[code] = _Grant(self.oauth_user, scope, self._clock())
            answer = {"code": code, "scope": scope}
        if "state" in params:
            answer["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        location = redirect_uri + separator + urlencode(answer)
        return 302, {}, {"Location": location}

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "authorization_code":
            raise _OAuthError(
                "unsupported_grant_type", f"Unsupported grant type: {form.get('grant_type')}"
            )
        code = form.get("code")
        if not code:
            raise _OAuthError("invalid_request", "No authorization code provided")
        with self._lock:
            grant = self._grants.get(code)
            if grant is None:
                raise _OAuthError("invalid_grant", f"Authorization code does not exist: {code}")
            if grant.token is not None:
                # As Stripe does: a code used twice revokes what it gave.
                self._account_keys.pop(grant.token, None)
                raise _OAuthError(
                    "invalid_grant", f"Authorization code has already been used: {code}"
                )
            if self._clock() - grant.issued_at > OAUTH_CODE_TTL_S:
                raise _OAuthError("invalid_grant", f"Authorization code expired: {code}")
            account = self._accounts.get(grant.account)
            livemode = account.livemode if account is not None else False
            grant.token = _secret_string("rk" if grant.scope == "read_only" else "sk", livemode)
            self._account_keys[grant.token] = grant.account
        return {
            "access_token": grant.token,
            "livemode": livemode,
            "refresh_token": _secret_string("rt", livemode),
            "scope": grant.scope,
            "stripe_publishable_key": _secret_string("pk", livemode),
            "stripe_user_id": grant.account,
            "token_type": "bearer",
        }

    def _deauthorize(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("client_id") != self.client_id:
            raise _OAuthError("invalid_client", f"No such application: '{form.get('client_id')}'")
        account = form.get("stripe_user_id", "")
        with self._lock:
            tokens = [g.token for g in self._grants.values() if g.account == account and g.token]
            if not tokens:
                raise _OAuthError(
                    "invalid_client",
                    f"This application is not connected to stripe account {account}, or that "
                    "account does not exist.",
                )
            for token in tokens:
                self._account_keys.pop(token, None)
            self._grants = {c: g for c, g in self._grants.items() if g.account != account}
        return {"stripe_user_id": account}

    def _take_token(self, account_id: str) -> None:
        rate = self.rate_limit_per_s
        if rate is None:
            return
        capacity = max(1.0, rate)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(account_id)
            if bucket is None:
                bucket = self._buckets[account_id] = _Bucket(tokens=capacity, last=now)
            bucket.tokens = min(capacity, bucket.tokens + max(0.0, now - bucket.last) * rate)
            bucket.last = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            self.rate_limited += 1
            wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
        raise _ApiError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
            headers={"Retry-After": str(wait), "Stripe-Rate-Limited-Reason": "global-rate"},
        )

    @staticmethod
    def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
        for name in params:
            if name not in allowed:
                value = params[name]
                if isinstance(value, dict):
                    name = f"{name}[{next(iter(value))}]"
                raise _unknown_parameter(name)

    @staticmethod
    def _paginate(
        items: list[dict[str, Any]],
        rank: Mapping[str, int],
        params: Mapping[str, Any],
        url: str,
        object_name: str,
    ) -> dict[str, Any]:
        """One page of `items` (already filtered, in list order) after the cursors: a short list
        held whole (an invoice's lines)."""
        limit = _parse_limit(params)
        starting_after = params.get("starting_after")
        ending_before = params.get("ending_before")
        if starting_after is not None and ending_before is not None:
            raise _ApiError(
                400,
                "You may only specify one of these parameters: ending_before, starting_after.",
                param="ending_before",
            )
        if starting_after is not None or ending_before is not None:
            param = "starting_after" if starting_after is not None else "ending_before"
            cursor = starting_after if starting_after is not None else ending_before
            if not isinstance(cursor, str) or cursor not in rank:
                raise _no_such(object_name, str(cursor), param=param, status=400)
            at = rank[cursor]
            if starting_after is not None:
                after = [o for o in items if rank[o["id"]] > at]
                data, has_more = after[:limit], len(after) > limit
            else:
                before = [o for o in items if rank[o["id"]] < at]
                data, has_more = before[-limit:], len(before) > limit
        else:
            data, has_more = items[:limit], len(items) > limit
        return {"object": "list", "data": data, "has_more": has_more, "url": url}

    def _list_objects(
        self, account: _Account, resource: str, url: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        filters = _FILTERS.get(resource, {})
        ranges = ("created", *_RANGE_FIELDS.get(resource, ()))
        self._only(params, {"limit", "starting_after", "ending_before", *ranges, *filters})
        predicates: list[Callable[[dict[str, Any]], bool]] = []
        for name in ranges:
            if name in params:
                predicates.append(_range_matcher(name, params[name]))
        for name, matcher in filters.items():
            if name in params:
                value = params[name]
                if not isinstance(value, str):
                    raise _ApiError(400, f"Invalid {name}: expected a string", param=name)
                matcher({}, value)  # validates the value even when nothing is listed
                predicates.append(_bound(matcher, value))
        if resource == "subscriptions" and "status" not in params:
            # Like Stripe: without `status`, canceled subscriptions are left out.
            predicates.append(lambda obj: obj.get("status") != "canceled")
        return self._page(account, resource, params, predicates, url, _object_name(resource))

    @staticmethod
    def _page(
        account: _Account,
        resource: str,
        params: Mapping[str, Any],
        predicates: list[Callable[[dict[str, Any]], bool]],
        url: str,
        object_name: str,
        visible: Callable[[dict[str, Any]], bool] = lambda _obj: True,
    ) -> dict[str, Any]:
        """One page of `resource`'s list (newest first) after the cursors, of the objects every
        predicate accepts. Found by position — the `created` window by bisection, the cursor by
        its rank — then filtered only as far as the page takes: a request reads about a page, not
        the whole list (at 100,000 objects the server, not the import, was the bound of
        `bench.connect`)."""
        objects = account.lists.get(resource, [])
        rank = account.ranks.get(resource, {})
        lo, hi = account.created_slice(resource, params.get("created"))
        limit = _parse_limit(params)
        starting_after, ending_before = params.get("starting_after"), params.get("ending_before")
        if starting_after is not None and ending_before is not None:
            raise _ApiError(
                400,
                "You may only specify one of these parameters: ending_before, starting_after.",
                param="ending_before",
            )
        cursor = starting_after if starting_after is not None else ending_before
        if cursor is not None:
            param = "starting_after" if starting_after is not None else "ending_before"
            if (
                not isinstance(cursor, str)
                or cursor not in rank
                or not visible(objects[rank[cursor]])
            ):
                raise _no_such(object_name, str(cursor), param=param, status=400)
            if starting_after is not None:
                lo = max(lo, rank[cursor] + 1)
            else:
                hi = min(hi, rank[cursor])
        positions = range(hi - 1, lo - 1, -1) if ending_before is not None else range(lo, hi)
        found: list[dict[str, Any]] = []
        for i in positions:
            if all(p(objects[i]) for p in predicates):
                found.append(objects[i])
                if len(found) > limit:
                    break
        data = found[:limit]
        if ending_before is not None:
            data.reverse()
        return {"object": "list", "data": data, "has_more": len(found) > limit, "url": url}

    def _event_cutoff(self, account: _Account) -> int:
        now = account.now if account.now is not None else int(self._clock())
        return now - EVENT_RETENTION_S

    def _list_events(self, account: _Account, params: dict[str, Any]) -> dict[str, Any]:
        self._only(
            params,
            {"limit", "starting_after", "ending_before", "created", "type", "types"}
            | {"delivery_success"},
        )
        cutoff = self._event_cutoff(account)
        predicates: list[Callable[[dict[str, Any]], bool]] = [
            lambda ev: (_as_int(ev.get("created")) or 0) >= cutoff
        ]
        if "created" in params:
            predicates.append(_range_matcher("created", params["created"]))
        if "type" in params and "types" in params:
            raise _ApiError(
                400, "You cannot specify both `type` and `types` at the same time.", param="types"
            )
        if "type" in params:
            pattern = params["type"]
            if not isinstance(pattern, str):
                raise _ApiError(400, "Invalid type: expected a string", param="type")
            predicates.append(lambda ev: fnmatch.fnmatchcase(str(ev.get("type", "")), pattern))
        if "types" in params:
            raw = params["types"]
            types = {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, list) else None
            if types is None:
                raise _ApiError(400, "Invalid array: types", param="types")
            if len(types) > MAX_EVENT_TYPES:
                raise _ApiError(
                    400, f"You may pass at most {MAX_EVENT_TYPES} types.", param="types"
                )
            predicates.append(lambda ev: ev.get("type") in types)
        if "delivery_success" in params:
            # Events carry no delivery log; an event is "delivered" when no webhook is pending.
            wanted = _parse_bool(params["delivery_success"], "delivery_success")
            predicates.append(lambda ev: (not ev.get("pending_webhooks")) == wanted)
        return self._page(
            account,
            "events",
            params,
            predicates,
            "/v1/events",
            "event",
            visible=lambda ev: (_as_int(ev.get("created")) or 0) >= cutoff,
        )

    def _retrieve(
        self, account: _Account, resource: str, id_: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        self._only(params, set())
        rank = account.ranks.get(resource, {})
        if id_ not in rank:
            raise _no_such(_object_name(resource), id_)
        obj = account.lists[resource][rank[id_]]
        if resource == "events" and (_as_int(obj.get("created")) or 0) < self._event_cutoff(
            account
        ):
            raise _no_such("event", id_)
        return obj

    def _list_lines(
        self, account: _Account, invoice_id: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        self._only(params, {"limit", "starting_after", "ending_before"})
        if invoice_id not in account.ranks.get("invoices", {}):
            raise _no_such("invoice", invoice_id)
        lines = account.lines.get(invoice_id, [])
        rank = {line["id"]: i for i, line in enumerate(lines)}
        return self._paginate(
            lines, rank, params, f"/v1/invoices/{invoice_id}/lines", "invoice line item"
        )


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    api: StripeApiServer


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def version_string(self) -> str:
        return "stripe-loopback"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no access log."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        api = self.server.api
        api._log(method, unquote(self.path), self.headers.get("Stripe-Account"))
        length = self.headers.get("Content-Length")
        # Read whole: OAuth's form, or the body of a write the server refuses.
        sent = self.rfile.read(int(length)) if length and length.isdigit() else b""
        extra: dict[str, str] = {}
        try:
            status, body, extra = api._dispatch(
                method,
                self.path,
                self.headers.get("Authorization"),
                self.headers.get("Stripe-Account"),
                sent,
            )
        except _ApiError as exc:
            status, body, extra = exc.status, exc.body(), exc.headers
        except Exception as exc:  # a bug here must still answer like Stripe would
            error = _ApiError(500, f"Internal error in the test server: {exc!r}", type="api_error")
            status, body, extra = 500, error.body(), {}
        self._send(status, body, extra)

    def _send(self, status: int, body: dict[str, Any], extra: Mapping[str, str]) -> None:
        payload = json.dumps(body).encode()
        request_id = "req_" + "".join(secrets.choice(_ALPHANUM) for _ in range(14))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", request_id)
            version = self.headers.get("Stripe-Version")
            if version:
                self.send_header("Stripe-Version", version)
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
